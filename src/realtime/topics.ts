import { EventEmitter, on } from 'node:events';
import { REPLAYABLE_EVENT_NAMES, RealtimeEventName, type RealtimeEvent } from '../events/realtime-event';

/** GraphQL subscription topics; each is published per user, so an event costs only its recipients' subscriptions. */
export enum Topic {
  MESSAGE_CREATED = 'MESSAGE_CREATED',
  MESSAGE_UPDATED = 'MESSAGE_UPDATED',
  NOTIFICATION_CREATED = 'NOTIFICATION_CREATED',
  NOTIFICATION_UPDATED = 'NOTIFICATION_UPDATED',
  UNREAD_COUNTS_CHANGED = 'UNREAD_COUNTS_CHANGED',
  /** Every replayable event of a user, whatever its name: the live half of the resumable `realtimeEvents`. */
  REALTIME_EVENTS = 'REALTIME_EVENTS',
}

export const TOPIC_OF: Record<RealtimeEventName, Topic> = {
  [RealtimeEventName.MESSAGE_CREATED]: Topic.MESSAGE_CREATED,
  [RealtimeEventName.MESSAGE_UPDATED]: Topic.MESSAGE_UPDATED,
  [RealtimeEventName.NOTIFICATION_CREATED]: Topic.NOTIFICATION_CREATED,
  [RealtimeEventName.NOTIFICATION_UPDATED]: Topic.NOTIFICATION_UPDATED,
  [RealtimeEventName.UNREAD_COUNTS_UPDATED]: Topic.UNREAD_COUNTS_CHANGED,
};

/** A topic's channel is `[userId, event]`: type-graphql subscribes with the viewer's id as the topic id. */
export type RealtimeTopics = { [T in Topic]: [userId: string, event: RealtimeEvent] };

/**
 * type-graphql's PubSub for one instance: `subscribe(topic, userId)` yields what `publish(topic, userId, event)`
 * sends. The iterator of `events.on` removes its listener when type-graphql ends it (client completes or
 * disconnects), so finished subscriptions hold nothing.
 */
export class RealtimePubSub {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open subscription: many are normal, not a leak.
    this.emitter.setMaxListeners(0);
  }

  publish<T extends Topic>(topic: T, userId: string, event: RealtimeTopics[T][1]): void {
    this.emitter.emit(`${topic}:${userId}`, event);
  }

  /**
   * Listens from the call on (not from the first `next`), and `return` frees the listener at once, even while a
   * `next` is waiting (an async generator would hold it until the next event).
   */
  subscribe(topic: Topic, userId?: unknown): AsyncIterableIterator<RealtimeEvent> {
    const events = on(this.emitter, `${topic}:${String(userId)}`);
    const ended = { done: true, value: undefined } as const;
    return {
      async next() {
        const result = await events.next();
        return result.done ? ended : { done: false, value: (result.value as [RealtimeEvent])[0] };
      },
      async return() {
        await events.return?.();
        return ended;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** Open subscriptions of a topic for a user (tests check that ended ones are freed). */
  listenerCount(topic: Topic, userId: string): number {
    return this.emitter.listenerCount(`${topic}:${userId}`);
  }
}

export const createRealtimePubSub = () => new RealtimePubSub();

/** Hands each event to the subscriptions of its recipients on this instance. */
export function publishToSubscribers(pubSub: RealtimePubSub, event: RealtimeEvent): void {
  const replayable = REPLAYABLE_EVENT_NAMES.includes(event.name);
  for (const userId of event.recipientIds) {
    pubSub.publish(TOPIC_OF[event.name], String(userId), event);
    if (replayable) pubSub.publish(Topic.REALTIME_EVENTS, String(userId), event);
  }
}
