import { EventEmitter } from 'node:events';
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
 * A subscription whose client stopped reading held as many events as it may: it ends with this error, and the
 * graphql-ws server closes its socket with a code clients reconnect (and resume) from, instead of queueing on.
 */
export class SubscriptionQueueFull extends Error {
  constructor(readonly limit: number) {
    super(`The subscription fell ${limit} events behind; reconnect and resume.`);
    this.name = 'SubscriptionQueueFull';
  }
}

/** Most events one subscription holds before it is ended as SubscriptionQueueFull (GRAPHQL_WS_MAX_QUEUED_EVENTS). */
export const DEFAULT_MAX_QUEUED_EVENTS = 500;

/**
 * type-graphql's PubSub for one instance: `subscribe(topic, userId)` yields what `publish(topic, userId, event)`
 * sends. The iterator of `events.on` removes its listener when type-graphql ends it (client completes or
 * disconnects), so finished subscriptions hold nothing.
 */
export class RealtimePubSub {
  private readonly emitter = new EventEmitter();

  constructor(private readonly maxQueued = DEFAULT_MAX_QUEUED_EVENTS) {
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
    return listen(this.emitter, `${topic}:${String(userId)}`, this.maxQueued);
  }

  /** Open subscriptions of a topic for a user (tests check that ended ones are freed). */
  listenerCount(topic: Topic, userId: string): number {
    return this.emitter.listenerCount(`${topic}:${userId}`);
  }
}

export const createRealtimePubSub = (maxQueued?: number) => new RealtimePubSub(maxQueued);

const ended = { done: true, value: undefined } as const;

/**
 * The events of one emitter name as an async iterator. Not `events.on`: it allocates two 2,048-slot queues per
 * iterator, 32 KiB for every open subscription, which made a graphql-ws socket cost 8 times a bare one.
 */
function listen(
  emitter: EventEmitter,
  name: string,
  maxQueued: number,
): AsyncIterableIterator<RealtimeEvent> {
  const queued: RealtimeEvent[] = [];
  const waiting: ((result: IteratorResult<RealtimeEvent, undefined>) => void)[] = [];
  let done = false;
  // Set once the queue is full: what was queued is dropped and the next read fails, so nothing grows on.
  let overflowed = false;
  // The highest event id handed to this subscription: none goes to it twice.
  let last = 0n;
  const listener = (event: RealtimeEvent) => {
    const id = BigInt(event.id);
    if (id <= last) return;
    last = id;
    const wake = waiting.shift();
    if (wake) return wake({ done: false, value: event });
    if (queued.length >= maxQueued) {
      finish();
      overflowed = true;
      return;
    }
    queued.push(event);
  };
  const finish = () => {
    if (done) return;
    done = true;
    emitter.off(name, listener);
    queued.length = 0;
    for (const wake of waiting.splice(0)) wake(ended);
  };
  emitter.on(name, listener);
  return {
    next() {
      const event = queued.shift();
      if (event !== undefined) return Promise.resolve({ done: false, value: event });
      if (overflowed) {
        overflowed = false;
        return Promise.reject(new SubscriptionQueueFull(maxQueued));
      }
      if (done) return Promise.resolve(ended);
      return new Promise((resolve) => waiting.push(resolve));
    },
    return() {
      finish();
      return Promise.resolve(ended);
    },
    throw(error: unknown) {
      finish();
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** Hands each event to the subscriptions of its recipients on this instance. */
export function publishToSubscribers(pubSub: RealtimePubSub, event: RealtimeEvent): void {
  const replayable = REPLAYABLE_EVENT_NAMES.includes(event.name);
  for (const userId of event.recipientIds) {
    pubSub.publish(TOPIC_OF[event.name], String(userId), event);
    if (replayable) pubSub.publish(Topic.REALTIME_EVENTS, String(userId), event);
  }
}
