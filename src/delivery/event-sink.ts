import type { RealtimeEvent } from '../events/realtime-event';

/**
 * Where an instance's reader hands what it read from the log, in id order, each event once: this instance's
 * graphql-ws subscriptions, its built-in Pusher sockets. In-process and synchronous, so a sink is never behind
 * the reader's position; a sink that throws loses nothing for the others.
 */
export interface EventSink {
  readonly name: string;
  deliver(events: readonly RealtimeEvent[]): void;
}
