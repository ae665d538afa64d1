import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { endsSession, type SessionRevocation } from '../../events/session-notices';
import type { PresenceChange, PusherBroadcast, PusherChannelBinding } from '../../events/shared-bus';
import type { Logger } from '../../logger';
import type { PusherApp } from './pusher-events.routes';
import { isChannelName } from '../channel-name';
import { closeWithin } from '../close-sockets';
import type { SocketSlot } from '../socket-slots';
import type { LocalChannel } from './channel-census';
import { type CacheChannelStore, isCacheChannel } from './cache-channels';
import { ClientEventRate, type ClientEventSettings, judgeClientEvent } from './client-events';
import { isValidChannelAuth } from './pusher-signature';
import type { PusherWebhookEvent } from './pusher-webhooks';
import { serverToUserChannel, serverToUserOf, signedInUser } from './user-auth';
import { parseChannelData, type PresenceMember, PresenceSubscription } from './presence-subscription';

const PROTOCOL_VERSION = 7;
// Pusher's codes: 4000-4099 pusher-js does not reconnect, 4100-4199 it reconnects with backoff, 4200-4299 at once.
const CLOSE_APP_NOT_FOUND = 4001;
const CLOSE_UNSUPPORTED_PROTOCOL = 4007;
const CLOSE_UNAUTHORIZED = 4009;
/** Not one of Pusher's own codes: a frame this server cannot read. The socket stays open. */
const ERROR_BAD_MESSAGE = 4010;
/** The status of the subscription_error that refuses a subscribe past the channel cap. */
const ERROR_OVER_CAPACITY_STATUS = 4100;
const CLOSE_RECONNECT = 4200;
const CLOSE_PONG_NOT_RECEIVED = 4201;

/** What one connection may hold and how long it may stay silent; see SocketLimits in the config. */
export interface PusherSocketLimits {
  readonly maxPayloadBytes: number;
  readonly maxChannelNameLength: number;
  readonly maxChannels: number;
  readonly activityTimeoutSeconds: number;
  readonly pongTimeoutSeconds: number;
  readonly maxBufferedBytes: number;
  /**
   * How long a private subscribe waits for the binding /broadcasting/auth announces, should the subscribe arrive
   * first; 0 where no binding is ever announced (an endpoint standing in for an outside Pusher).
   */
  readonly bindingWaitMs: number;
}

export const DEFAULT_PUSHER_SOCKET_LIMITS: PusherSocketLimits = {
  maxPayloadBytes: 100 * 1024,
  maxChannelNameLength: 200,
  maxChannels: 100,
  activityTimeoutSeconds: 120,
  pongTimeoutSeconds: 30,
  maxBufferedBytes: 1024 * 1024,
  bindingWaitMs: 0,
};

/** Where the endpoint reports who its sockets belong to, and keeps the members of presence channels. */
export interface PusherPresenceHooks {
  /** The connection now holds a channel signed by this user's session: one of the user's sockets is open. */
  userBound(userId: number, socketId: string): void;
  /** The connection no longer holds any channel signed by this user's session. */
  userUnbound(userId: number, socketId: string): void;
  /** Joins a presence channel; resolves to its members on every instance (user id -> user_info JSON). */
  join(channel: string, member: PresenceMember, socketId: string): Promise<Map<string, string>>;
  leave(channel: string, member: PresenceMember, socketId: string): void;
  /** Which members a subscriber of the channel is shown besides itself; every member when not given. */
  shown?(channel: string): ((member: string) => boolean) | undefined;
  /** The connection subscribed to a channel (webhooks: the channel is occupied while one holds it anywhere). */
  channelHeld?(channel: string, socketId: string): void;
  channelReleased?(channel: string, socketId: string): void;
}

/** The endpoint's optional features, each in its own module, handed in by whoever builds the endpoint. */
export interface PusherSocketExtensions {
  readonly clientEvents?: ClientEventSettings & {
    /** Hands a client event to the subscribers of every instance. */
    publish(broadcast: PusherBroadcast): Promise<void>;
    /** Which members of a presence channel may get a member's client events; all when undefined. */
    recipients?(channel: string, senderUserId: string): Promise<readonly string[] | undefined>;
  };
  /** Cache channels' last events. */
  readonly cache?: CacheChannelStore;
  readonly webhook?: (event: PusherWebhookEvent) => void;
}

interface Connection {
  readonly socket: WebSocket;
  readonly socketId: string;
  readonly channels: Set<string>;
  /** The session that signed each private channel at /broadcasting/auth, as announced on the bus. */
  readonly signedBy: Map<string, PusherChannelBinding>;
  /**
   * Every binding /broadcasting/auth announced for this socket, kept for its life: a client that unsubscribes and
   * subscribes again with the same signature is bound again, never unbound.
   */
  readonly bindings: Map<string, PusherChannelBinding>;
  readonly bindingWaiters: Map<string, () => void>;
  /** Per channel, the highest event log id sent on it, so none is sent twice; made on the first one. */
  lastEventIds?: Map<string, bigint>;
  /** Private and presence subscribes still being checked: they count against the channel cap already. */
  readonly pending: Set<string>;
  /** Its place in the per-client counts; anonymous until it holds a channel a session signed. */
  readonly slot: SocketSlot | undefined;
  /** The presence channels it subscribed to, and what it knows of their members; made on the first one. */
  presence?: Map<string, PresenceSubscription>;
  /** Fires after the activity timeout of silence (sends a ping), then after the pong grace period (closes). */
  idle: NodeJS.Timeout;
  awaitingPong: boolean;
  /** Who it signed in as (`pusher:signin`). */
  user?: string;
  clientEventRate?: ClientEventRate;
}

interface ClientMessage {
  readonly event: string;
  /** `data`, decoded when it was JSON text. */
  readonly data: unknown;
  /** `data` as sent, when it was text: a client event relays it as it came, JSON or not. */
  readonly text?: string;
  readonly channel?: unknown;
}

/** A frame; an event from the log also carries its id, after `data` (which stays the legacy payload as it was). */
const frame = (event: string, data: unknown, channel?: string, id?: string, userId?: string): string =>
  JSON.stringify({
    event,
    ...(channel === undefined ? {} : { channel }),
    data,
    ...(id === undefined ? {} : { id }),
    ...(userId === undefined ? {} : { user_id: userId }),
  });

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A client frame as `{ event, data }` with `data` decoded when sent as a JSON string; undefined when unreadable. */
function parseClientMessage(frameText: string): ClientMessage | undefined {
  let message: unknown;
  try {
    message = JSON.parse(frameText);
  } catch {
    return undefined;
  }
  if (!isRecord(message) || typeof message.event !== 'string') return undefined;
  const text = typeof message.data === 'string' ? message.data : undefined;
  let data = message.data;
  if (text !== undefined) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  return { event: message.event, data, text, channel: message.channel };
}

/**
 * The WebSocket side of the built-in Pusher Channels endpoint (`/app/{key}`, protocol 7), enough for pusher-js and
 * Laravel Echo: connection, public and private channel subscriptions with signature checks, ping and pong. Frames
 * are read defensively: nothing a client sends may throw, since that would stop the process.
 */
export class PusherSocketServer {
  private readonly wss: WebSocketServer;
  private readonly byChannel = new Map<string, Set<Connection>>();
  private readonly bySocketId = new Map<string, Connection>();

  constructor(
    private readonly app: PusherApp,
    private readonly logger: Logger,
    private readonly limits: PusherSocketLimits = DEFAULT_PUSHER_SOCKET_LIMITS,
    private readonly presence?: PusherPresenceHooks,
    private readonly extensions: PusherSocketExtensions = {},
  ) {
    // Bigger frames close the socket (1009) before they are read into memory.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayloadBytes });
    this.wss.on('connection', (socket: WebSocket, request: IncomingMessage, slot?: SocketSlot) =>
      this.accept(socket, request, slot),
    );
  }

  get connectionCount(): number {
    return this.wss.clients.size;
  }

  /** Whether an upgrade request is for this endpoint. */
  handles(pathname: string): boolean {
    return pathname.startsWith('/app/');
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, slot?: SocketSlot): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => this.wss.emit('connection', ws, request, slot));
  }

  /**
   * Sends an event to this instance's sockets subscribed to its channel; one from the log at most once per socket
   * and channel (each keeps the highest id it was handed there).
   */
  deliver(broadcast: PusherBroadcast): void {
    const message = frame(
      broadcast.event,
      broadcast.data,
      broadcast.channel,
      broadcast.eventId,
      broadcast.userId,
    );
    const id = broadcast.eventId === undefined ? undefined : BigInt(broadcast.eventId);
    const recipients = broadcast.recipients && new Set(broadcast.recipients);
    for (const connection of this.byChannel.get(broadcast.channel) ?? []) {
      if (connection.socketId === broadcast.excludeSocketId) continue;
      const member = connection.presence?.get(broadcast.channel)?.member.userId;
      if (recipients && (member === undefined || !recipients.has(member))) continue;
      if (id !== undefined) {
        const sent = (connection.lastEventIds ??= new Map());
        const last = sent.get(broadcast.channel);
        if (last !== undefined && id <= last) continue;
        sent.set(broadcast.channel, id);
      }
      this.send(connection.socket, message);
    }
  }

  /** Tells this instance's subscribers of a presence channel that a member came or went (on any instance). */
  memberChanged(change: PresenceChange): void {
    for (const connection of this.byChannel.get(change.group) ?? []) {
      const frameOf = connection.presence?.get(change.group)?.change(change);
      if (frameOf) this.send(connection.socket, frame(frameOf.event, frameOf.data, change.group));
    }
  }

  /** Records which session signed a channel for one of this instance's sockets (others ignore it). */
  bind(binding: PusherChannelBinding): void {
    const connection = this.bySocketId.get(binding.socketId);
    if (!connection) return;
    connection.bindings.set(binding.channel, binding);
    connection.bindingWaiters.get(binding.channel)?.();
  }

  /** The sessions that hold channels here, for the periodic re-check. */
  boundSessions(): string[] {
    const sessions: string[] = [];
    for (const connection of this.bySocketId.values()) {
      for (const binding of connection.signedBy.values()) sessions.push(binding.sessionId);
    }
    return sessions;
  }

  /** Closes (4009) the connections holding a channel signed by one of these ended sessions. */
  closeSessions(revocation: SessionRevocation): void {
    this.closeWhere((binding) => endsSession(revocation, binding.userId, binding.sessionId));
  }

  /** Closes (4009) the connections holding a channel signed by this session. */
  endSession(sessionId: string): void {
    this.closeWhere((binding) => binding.sessionId === sessionId);
  }

  /** This instance's occupied channels that match, with their connections and presence members (the census). */
  localChannels(matches: (channel: string) => boolean): LocalChannel[] {
    const found: LocalChannel[] = [];
    for (const [channel, connections] of this.byChannel) {
      if (!matches(channel)) continue;
      const userIds = new Set<string>();
      for (const connection of connections) {
        const member = connection.presence?.get(channel)?.member;
        if (member) userIds.add(member.userId);
      }
      found.push({ channel, subscriptionCount: connections.size, userIds: [...userIds] });
    }
    return found;
  }

  /**
   * `terminate_connections`: closes (4009) this instance's connections of the user: those holding a channel
   * signed for them at /broadcasting/auth, or a presence channel as them.
   */
  terminateUser(userId: string): void {
    this.closeConnections(
      (connection) =>
        connection.user === userId ||
        [...connection.signedBy.values()].some((binding) => String(binding.userId) === userId) ||
        [...(connection.presence?.values() ?? [])].some(
          (subscription) => subscription.member.userId === userId,
        ),
      'The connections of this user were terminated',
    );
  }

  private closeWhere(ended: (binding: PusherChannelBinding) => boolean): void {
    this.closeConnections(
      (connection) => [...connection.signedBy.values()].some(ended),
      'The session has ended',
    );
  }

  private closeConnections(close: (connection: Connection) => boolean, reason: string): void {
    for (const connection of [...this.bySocketId.values()]) {
      if (!close(connection)) continue;
      // Leave at once, so not one more event reaches it while the close handshake runs.
      for (const channel of [...connection.channels]) this.leave(connection, channel);
      this.bySocketId.delete(connection.socketId);
      this.refuse(connection.socket, CLOSE_UNAUTHORIZED, reason);
    }
  }

  /**
   * After a break of the bus, presence changes and channel bindings announced meanwhile may be lost: connections
   * holding a presence channel, or a private channel still waiting for its binding, are closed with 4200, so
   * pusher-js reconnects at once and subscribes afresh. The others depend only on the event log and stay open.
   */
  busReconnected(): void {
    for (const connection of [...this.bySocketId.values()]) {
      const unbound = [...connection.channels].some(
        (channel) => channel.startsWith('private-') && !connection.signedBy.has(channel),
      );
      if (!(connection.presence?.size || (unbound && this.limits.bindingWaitMs > 0))) continue;
      for (const channel of [...connection.channels]) this.leave(connection, channel);
      this.bySocketId.delete(connection.socketId);
      connection.socket.close(CLOSE_RECONNECT, 'The server lost messages; reconnect');
    }
  }

  /** Closes every socket with a code that makes pusher-js reconnect (to another instance, or after a restart). */
  async close(): Promise<void> {
    for (const socket of this.wss.clients) socket.close(CLOSE_RECONNECT, 'Server shutting down');
    await closeWithin(this.wss, new Promise<void>((resolve) => this.wss.close(() => resolve())));
  }

  /** Sends unless the client stopped reading: past the buffer limit it is dropped rather than buffered on. */
  private send(socket: WebSocket, message: string): void {
    if (socket.readyState !== WebSocket.OPEN) return;
    if (socket.bufferedAmount > this.limits.maxBufferedBytes) {
      this.logger.debug('dropping a Pusher socket that does not read');
      socket.terminate();
      return;
    }
    socket.send(message);
  }

  private sendError(socket: WebSocket, code: number, message: string): void {
    this.send(socket, frame('pusher:error', { code, message }));
  }

  private refuse(socket: WebSocket, code: number, message: string): void {
    this.sendError(socket, code, message);
    socket.close(code, message);
  }

  private accept(socket: WebSocket, request: IncomingMessage, slot: SocketSlot | undefined): void {
    socket.on('error', (error) => this.logger.debug({ err: error }, 'Pusher socket error'));
    const url = new URL(request.url ?? '/', 'http://localhost');
    let key: string;
    try {
      key = decodeURIComponent(url.pathname.slice('/app/'.length));
    } catch {
      return this.refuse(socket, CLOSE_APP_NOT_FOUND, 'App key not found');
    }
    if (key !== this.app.key) {
      return this.refuse(socket, CLOSE_APP_NOT_FOUND, `App key ${key.slice(0, 100)} does not exist`);
    }
    const protocol = Number(url.searchParams.get('protocol') ?? PROTOCOL_VERSION);
    if (!Number.isInteger(protocol) || protocol < 5) {
      return this.refuse(socket, CLOSE_UNSUPPORTED_PROTOCOL, 'Unsupported protocol version');
    }
    const connection: Connection = {
      socket,
      socketId: `${randomInt(1, 2 ** 31)}.${randomInt(1, 2 ** 31)}`,
      channels: new Set(),
      signedBy: new Map(),
      bindings: new Map(),
      bindingWaiters: new Map(),
      pending: new Set(),
      slot,
      idle: this.idleTimer(() => connection, this.limits.activityTimeoutSeconds),
      awaitingPong: false,
    };
    this.bySocketId.set(connection.socketId, connection);
    socket.on('message', (raw, isBinary) => this.receive(connection, raw, isBinary));
    socket.on('close', () => {
      clearTimeout(connection.idle);
      this.bySocketId.delete(connection.socketId);
      for (const wake of connection.bindingWaiters.values()) wake();
      for (const channel of connection.channels) this.leave(connection, channel);
    });
    // The protocol sends `data` as a JSON string inside the JSON frame.
    this.send(
      socket,
      frame(
        'pusher:connection_established',
        JSON.stringify({
          socket_id: connection.socketId,
          activity_timeout: this.limits.activityTimeoutSeconds,
        }),
      ),
    );
  }

  /** Silence: the first time a ping, then, if still nothing arrived, the close pusher-js reconnects from. */
  private idleFor(connection: Connection): void {
    if (connection.awaitingPong) {
      connection.socket.close(CLOSE_PONG_NOT_RECEIVED, 'Pong reply not received');
      return;
    }
    connection.awaitingPong = true;
    this.send(connection.socket, frame('pusher:ping', {}));
    // The grace period replaces the activity timeout until the client answers.
    connection.idle = this.idleTimer(() => connection, this.limits.pongTimeoutSeconds);
  }

  /** A silence timer; it never keeps the process alive by itself, since its socket does while open. */
  private idleTimer(connection: () => Connection, seconds: number): NodeJS.Timeout {
    return setTimeout(() => this.idleFor(connection()), seconds * 1000).unref();
  }

  private active(connection: Connection): void {
    if (connection.awaitingPong) {
      connection.awaitingPong = false;
      clearTimeout(connection.idle);
      connection.idle = this.idleTimer(() => connection, this.limits.activityTimeoutSeconds);
    } else {
      connection.idle.refresh();
    }
  }

  private receive(connection: Connection, raw: RawData, isBinary: boolean): void {
    this.active(connection);
    if (isBinary) return this.sendError(connection.socket, ERROR_BAD_MESSAGE, 'Messages must be text');
    const message = parseClientMessage(raw.toString());
    if (message === undefined) {
      return this.sendError(
        connection.socket,
        ERROR_BAD_MESSAGE,
        'Messages must be JSON objects with a string event',
      );
    }
    const data = isRecord(message.data) ? message.data : {};
    switch (message.event) {
      case 'pusher:ping':
        return this.send(connection.socket, frame('pusher:pong', {}));
      case 'pusher:pong':
        return;
      case 'pusher:subscribe':
        return void this.subscribe(connection, data.channel, data.auth, data.channel_data);
      case 'pusher:unsubscribe':
        if (typeof data.channel === 'string') this.leave(connection, data.channel);
        return;
      case 'pusher:signin':
        return void this.signin(connection, data.auth, data.user_data);
      default:
        if (message.event.startsWith('client-')) return void this.clientEvent(connection, message);
        return this.sendError(
          connection.socket,
          ERROR_BAD_MESSAGE,
          `Unsupported event ${message.event.slice(0, 100)}`,
        );
    }
  }

  private async subscribe(
    connection: Connection,
    channel: unknown,
    auth: unknown,
    channelData: unknown,
  ): Promise<void> {
    if (typeof channel !== 'string' || channel.length === 0) {
      return this.sendError(connection.socket, ERROR_BAD_MESSAGE, 'pusher:subscribe needs a channel');
    }
    // Every refusal that can name the channel does, so pusher-js reports it on that channel object.
    const refused = (status: number, type: string, error: string) =>
      this.send(connection.socket, frame('pusher:subscription_error', { type, error, status }, channel));
    const forUser = serverToUserOf(channel);
    if (forUser !== undefined && forUser !== connection.user) {
      return refused(403, 'AuthError', `Sign in as user ${forUser.slice(0, 128)} to subscribe to ${channel}`);
    }
    if (forUser === undefined && !isChannelName(channel, this.limits.maxChannelNameLength)) {
      return refused(
        400,
        'InvalidChannel',
        `Channel names are at most ${this.limits.maxChannelNameLength} characters of a-z, A-Z, 0-9 and _-=@,.;`,
      );
    }
    if (connection.channels.has(channel)) {
      return this.send(connection.socket, frame('pusher_internal:subscription_succeeded', '{}', channel));
    }
    // A second subscribe while the first is being checked: the first one answers.
    if (connection.pending.has(channel)) return;
    // Pending subscribes count, or frames arriving together would all pass before any of them completed.
    if (connection.channels.size + connection.pending.size >= this.limits.maxChannels) {
      return refused(
        ERROR_OVER_CAPACITY_STATUS,
        'LimitReached',
        `A connection subscribes to at most ${this.limits.maxChannels} channels`,
      );
    }
    const refuse = (error: string) => refused(401, 'AuthError', error);
    const isPresence = channel.startsWith('presence-');
    let member: PresenceMember | undefined;
    if (isPresence) {
      if (!this.presence) return refuse('Presence channels are not supported by this server');
      member = parseChannelData(channelData);
      if (!member) return refuse('channel_data must be JSON with a user_id');
    }
    if (
      (channel.startsWith('private-') || isPresence) &&
      !isValidChannelAuth(
        this.app.key,
        this.app.secret,
        connection.socketId,
        channel,
        auth,
        isPresence ? (channelData as string) : undefined,
      )
    ) {
      return refuse(`Invalid signature for channel ${channel}`);
    }
    if (channel.startsWith('private-') || isPresence) {
      connection.pending.add(channel);
      const binding = await this.bindingFor(connection, channel).finally(() =>
        connection.pending.delete(channel),
      );
      if (connection.socket.readyState !== WebSocket.OPEN) return;
      // A channel signed elsewhere with the secret (a backend using this endpoint as its Pusher service) has no
      // binding and stays unbound: whoever holds the secret can trigger any event anyway.
      if (binding) this.signed(connection, channel, binding);
    }
    connection.channels.add(channel);
    this.presence?.channelHeld?.(channel, connection.socketId);
    const members = this.byChannel.get(channel) ?? new Set<Connection>();
    members.add(connection);
    this.byChannel.set(channel, members);
    if (member && this.presence) return this.joinPresence(connection, channel, member, this.presence);
    this.send(connection.socket, frame('pusher_internal:subscription_succeeded', '{}', channel));
    await this.replayCache(connection, channel);
  }

  /** A cache channel's new subscriber gets its last event, or `pusher:cache_miss`. */
  private async replayCache(connection: Connection, channel: string): Promise<void> {
    const cache = this.extensions.cache;
    if (!cache || !isCacheChannel(channel)) return;
    const last = await cache.last(channel).catch((error: unknown) => {
      this.logger.warn({ err: error, channel }, 'could not read a cache channel');
      return undefined;
    });
    if (!connection.channels.has(channel)) return;
    this.send(
      connection.socket,
      last ? frame(last.event, last.data, channel) : frame('pusher:cache_miss', {}, channel),
    );
  }

  /** `pusher:signin`: a user signature from /broadcasting/user-auth makes the connection that user's. */
  private async signin(connection: Connection, auth: unknown, userData: unknown): Promise<void> {
    const userId = signedInUser(this.app.key, this.app.secret, connection.socketId, auth, userData);
    if (userId === undefined || (connection.user !== undefined && connection.user !== userId)) {
      return this.sendError(connection.socket, CLOSE_UNAUTHORIZED, 'Invalid signin: signature or user_data');
    }
    const channel = serverToUserChannel(userId);
    const binding = await this.bindingFor(connection, channel);
    if (connection.socket.readyState !== WebSocket.OPEN) return;
    connection.user = userId;
    // Bound like a private channel: the connection then ends with the session that signed the user in.
    if (binding) this.signed(connection, channel, binding);
    this.send(connection.socket, frame('pusher:signin_success', { user_data: userData }));
  }

  /** A `client-…` event: to the channel's other subscribers on every instance, by Pusher's rules. */
  private async clientEvent(connection: Connection, message: ClientMessage): Promise<void> {
    const settings = this.extensions.clientEvents;
    const channel = message.channel;
    connection.clientEventRate ??= new ClientEventRate(settings?.perSecond ?? 10);
    const verdict = judgeClientEvent(
      settings ?? { enabled: false, perSecond: 0 },
      {
        channel,
        data: message.text ?? message.data,
        joined: typeof channel === 'string' && connection.channels.has(channel),
      },
      connection.clientEventRate,
    );
    if (!verdict.ok || !settings || typeof channel !== 'string') {
      return this.send(
        connection.socket,
        frame('pusher:error', {
          code: verdict.ok ? null : verdict.code,
          message: verdict.ok ? '' : verdict.message,
        }),
      );
    }
    const userId = connection.presence?.get(channel)?.member.userId;
    let recipients: readonly string[] | undefined;
    try {
      recipients = userId === undefined ? undefined : await settings.recipients?.(channel, userId);
    } catch (error) {
      // Who may see the sender is unknown: the event reaches no one rather than someone it should not.
      this.logger.warn({ err: error, channel }, 'could not tell who may get a client event');
      return;
    }
    const broadcast = {
      channel,
      event: message.event,
      data: verdict.data,
      excludeSocketId: connection.socketId,
      ...(userId === undefined ? {} : { userId }),
      ...(recipients === undefined ? {} : { recipients }),
    };
    await settings
      .publish(broadcast)
      .catch((error: unknown) => this.logger.warn({ err: error, channel }, 'could not relay a client event'));
    this.extensions.webhook?.({
      name: 'client_event',
      channel,
      event: message.event,
      data: verdict.data,
      socket_id: connection.socketId,
      ...(userId === undefined ? {} : { user_id: userId }),
    });
  }

  /** Joins the member, then sends the members of every instance (`{ids, hash, count}`), as Pusher does. */
  private async joinPresence(
    connection: Connection,
    channel: string,
    member: PresenceMember,
    presence: PusherPresenceHooks,
  ): Promise<void> {
    const subscription = new PresenceSubscription(member, presence.shown?.(channel));
    (connection.presence ??= new Map()).set(channel, subscription);
    let members: Map<string, string>;
    try {
      members = await presence.join(channel, member, connection.socketId);
    } catch (error) {
      this.logger.warn({ err: error, channel }, 'could not join a presence channel');
      this.leave(connection, channel);
      return this.send(
        connection.socket,
        frame('pusher:subscription_error', { type: 'ServerError', error: 'Try again', status: 503 }, channel),
      );
    }
    if (connection.presence?.get(channel) !== subscription) return;
    const { data, then } = subscription.succeeded(members);
    this.send(connection.socket, frame('pusher_internal:subscription_succeeded', data, channel));
    for (const early of then) this.send(connection.socket, frame(early.event, early.data, channel));
    await this.replayCache(connection, channel);
  }

  /** Binds a channel to the session that signed it; the connection's first channel of a user makes it theirs. */
  private signed(connection: Connection, channel: string, binding: PusherChannelBinding): void {
    const known = this.holdsUser(connection, binding.userId);
    connection.signedBy.set(channel, binding);
    connection.slot?.authenticated();
    if (!known) this.presence?.userBound(binding.userId, connection.socketId);
  }

  private holdsUser(connection: Connection, userId: number): boolean {
    for (const binding of connection.signedBy.values()) if (binding.userId === userId) return true;
    return false;
  }

  /** The binding /broadcasting/auth announced for this channel, waiting briefly when the subscribe came first. */
  private async bindingFor(
    connection: Connection,
    channel: string,
  ): Promise<PusherChannelBinding | undefined> {
    if (!connection.bindings.has(channel) && this.limits.bindingWaitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.limits.bindingWaitMs);
        connection.bindingWaiters.set(channel, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      connection.bindingWaiters.delete(channel);
    }
    return connection.bindings.get(channel);
  }

  private leave(connection: Connection, channel: string): void {
    if (connection.channels.delete(channel)) this.presence?.channelReleased?.(channel, connection.socketId);
    const binding = connection.signedBy.get(channel);
    connection.signedBy.delete(channel);
    if (binding && !this.holdsUser(connection, binding.userId)) {
      this.presence?.userUnbound(binding.userId, connection.socketId);
    }
    const subscription = connection.presence?.get(channel);
    if (subscription) {
      connection.presence?.delete(channel);
      this.presence?.leave(channel, subscription.member, connection.socketId);
    }
    const members = this.byChannel.get(channel);
    members?.delete(connection);
    if (members?.size === 0) this.byChannel.delete(channel);
  }
}
