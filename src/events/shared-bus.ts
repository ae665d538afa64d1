import { EventEmitter } from 'node:events';
import type { SessionRevocation } from './session-notices';

/** A Pusher event to hand to the built-in endpoint's sockets, on whichever instance holds them. */
export interface PusherBroadcast {
  readonly channel: string;
  readonly event: string;
  readonly data: string;
  /** The socket that triggered it, which Pusher leaves out. */
  readonly excludeSocketId?: string;
  /** The event log id, for events from the log: sent beside `data` as the frame's `id`. */
  readonly eventId?: string;
  /** A client event on a presence channel: the sender's user id, which the frame carries as `user_id`. */
  readonly userId?: string;
  /** Only the subscribers holding the presence channel as one of these users get it (the visibility rule). */
  readonly recipients?: readonly string[];
}

/** Which session signed a private channel subscription at /broadcasting/auth, so the socket ends with it. */
export interface PusherChannelBinding {
  readonly socketId: string;
  readonly channel: string;
  readonly sessionId: string;
  readonly userId: number;
}

/**
 * A member that came or went in a presence group, announced once by the instance whose store operation made the
 * change: `online` holds every user with an open authenticated socket, `presence-…` groups are Pusher channels.
 */
export interface PresenceChange {
  readonly group: string;
  /** A user id, as a string. */
  readonly member: string;
  readonly present: boolean;
  /** What the member showed when it joined (Pusher's `user_info`, as JSON), empty for `online`. */
  readonly info: string;
  /** When it happened (ISO), for `online` also the user's new `lastSeenAt`. */
  readonly at: string;
  /** Its place among all presence changes: a receiver drops one older than what it already has. */
  readonly version: number;
}

/** A typing indicator, never stored: `typistId` is (or stopped) typing to `receiverId`. */
export interface TypingChange {
  readonly typistId: number;
  readonly receiverId: number;
  readonly typing: boolean;
}

/** Which of its built-in Pusher channels every instance is asked about (the HTTP query API). */
export interface PusherCensusRequest {
  readonly requestId: string;
  /** Channels whose name starts with this, or exactly `channel` when that is set. */
  readonly prefix: string;
  readonly channel?: string;
}

/** One instance's answer: its connections on each matching channel, and for presence channels their user ids. */
export interface PusherCensusReply {
  readonly requestId: string;
  readonly instanceId: string;
  readonly channels: readonly {
    readonly channel: string;
    readonly subscriptionCount: number;
    readonly userIds: readonly string[];
  }[];
}

/** Every message kind that crosses instances, with its payload. */
export interface BusMessages {
  /** The event log reached this id: readers read now rather than at their next poll; `from` ignores its own. */
  'event-log': { readonly head: string; readonly from: string };
  /** Users whose row or sessions changed: every instance forgets what its session cache holds of them. */
  'sessions-changed': { readonly userIds: readonly number[] };
  /** Sessions that ended: their sockets must close. */
  'sessions-revoked': SessionRevocation;
  /** An event for built-in Pusher endpoint clients. */
  'pusher-broadcast': PusherBroadcast;
  /** A channel signature and the session behind it, for the built-in endpoint instance holding that socket. */
  'pusher-channel-bound': PusherChannelBinding;
  /** Someone came online or went offline, or joined or left a Pusher presence channel. */
  'presence-changed': PresenceChange;
  /** A typing indicator for GraphQL subscribers (Pusher gets it once, from the instance that announced it). */
  'typing-changed': TypingChange;
  'pusher-census': PusherCensusRequest;
  'pusher-census-reply': PusherCensusReply;
  /** `terminate_connections`: every instance closes that user's built-in Pusher connections. */
  'pusher-user-terminated': { readonly userId: string };
}

export type BusKind = keyof BusMessages;

/** Delivers each message to the handlers of every instance (with REDIS_URL) or of this process. */
export interface SharedBus {
  publish<K extends BusKind>(kind: K, message: BusMessages[K]): Promise<void>;
  /** Resolves once messages published from now on reach the handler. */
  subscribe<K extends BusKind>(kind: K, handler: (message: BusMessages[K]) => void): Promise<void>;
  /**
   * Calls `handler` each time the bus is back after a break, during which messages may have been lost: whatever
   * depends on them must catch up, or close with a code its client resumes from.
   */
  onReconnect(handler: () => void): void;
  close(): Promise<void>;
}

/** The bus of a single instance. */
export class InProcessBus implements SharedBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish<K extends BusKind>(kind: K, message: BusMessages[K]): Promise<void> {
    // A round trip through JSON, as on Redis, so both buses hand handlers the same plain data.
    this.emitter.emit(kind, JSON.parse(JSON.stringify(message)));
  }

  async subscribe<K extends BusKind>(kind: K, handler: (message: BusMessages[K]) => void): Promise<void> {
    this.emitter.on(kind, handler);
  }

  /** An in-process bus never breaks. */
  onReconnect(): void {}

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
