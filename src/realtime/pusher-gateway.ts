import Pusher from 'pusher';
import type { PusherConfig } from '../config/config';
import type { PushOutcome } from '../delivery/pusher-feed';
import { channelsOf, type RealtimeEvent } from '../events/realtime-event';
import type { PusherBroadcast } from '../events/shared-bus';

/** Pusher's limit on the events of one batch request. */
const MAX_BATCH_EVENTS = 10;
const REQUEST_TIMEOUT_MS = 5000;

/** Hands broadcasts to the built-in endpoint's sockets on every instance (the shared bus). */
export type BuiltInDelivery = (broadcasts: PusherBroadcast[]) => Promise<void>;

/**
 * The one module that speaks to Pusher through its SDK: triggers events on the legacy private channels, and signs
 * private-channel subscriptions. With the built-in endpoint, events go to it in-process (`deliverBuiltIn`), never
 * over HTTP to this server itself, which HOST may bind to an address other than loopback.
 */
export class PusherGateway {
  readonly maxPushEntries = MAX_BATCH_EVENTS;
  private readonly pusher: Pusher;

  constructor(
    target: PusherConfig,
    private readonly deliverBuiltIn?: BuiltInDelivery,
  ) {
    const base = { appId: target.appId, key: target.key, secret: target.secret, timeout: REQUEST_TIMEOUT_MS };
    if (target.builtIn) {
      // Only signs channel subscriptions: nothing is sent through it.
      this.pusher = new Pusher({ ...base, host: '127.0.0.1', useTLS: false });
    } else if (target.host !== undefined) {
      const port = target.port === undefined ? undefined : String(target.port);
      this.pusher = new Pusher({ ...base, host: target.host, port, useTLS: target.useTLS });
    } else {
      // Neither built in nor given a host: config only allows that when PUSHER_CLUSTER is set.
      this.pusher = new Pusher({ ...base, cluster: target.cluster as string, useTLS: target.useTLS });
    }
  }

  /**
   * To the outside Pusher service (the built-in endpoint's sockets are fed by each instance's log reader): one
   * event goes out as one trigger to all its channels; several go together as one batch (whose entries carry one
   * channel each, as Pusher's batch API requires).
   */
  async push(events: readonly RealtimeEvent[]): Promise<PushOutcome> {
    try {
      if (events.length === 1) {
        const [event] = events;
        await this.pusher.trigger(channelsOf(event), event.name, event.payload);
      } else {
        await this.pusher.triggerBatch(
          events.flatMap((event) =>
            channelsOf(event).map((channel) => ({ channel, name: event.name, data: event.payload })),
          ),
        );
      }
      return { delivered: true };
    } catch (error) {
      const status = error instanceof Pusher.RequestError ? error.status : undefined;
      const body = error instanceof Pusher.RequestError ? error.body : undefined;
      const description = `${status ?? 'no answer'}: ${body ?? (error as Error).message}`;
      // A 4xx will not get better by sending it again; anything else (5xx, timeout, refused) may.
      const refused = status !== undefined && status >= 400 && status < 500;
      return { delivered: false, retry: !refused, error: description };
    }
  }

  /**
   * One event that is never stored (a typing indicator) to one channel, once: through the SDK, or to the built-in
   * endpoint's sockets on every instance. Rejects when it could not be handed over; nothing retries it.
   */
  async trigger(channel: string, event: string, data: string): Promise<void> {
    if (this.deliverBuiltIn) await this.deliverBuiltIn([{ channel, event, data }]);
    else await this.pusher.trigger(channel, event, data);
  }

  /** The `auth` and `channel_data` pusher-js needs to join a presence channel as this user. */
  authorizePresenceChannel(
    socketId: string,
    channel: string,
    member: { user_id: string; user_info: Record<string, unknown> },
  ): { auth: string; channel_data: string } {
    const { auth, channel_data: channelData } = this.pusher.authorizeChannel(socketId, channel, member);
    return { auth, channel_data: channelData ?? JSON.stringify(member) };
  }

  /** What pusher-js's `signin()` needs from the user authentication endpoint: `{auth, user_data}`. */
  authenticateUser(socketId: string, user: { id: string; user_info: Record<string, unknown> }) {
    return this.pusher.authenticateUser(socketId, user);
  }

  /** The `auth` value pusher-js needs to subscribe this socket to a private channel. */
  authorizeChannel(socketId: string, channel: string): string {
    return this.pusher.authorizeChannel(socketId, channel).auth;
  }
}
