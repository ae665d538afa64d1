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
    return new TopicListener(this.emitter, `${topic}:${String(userId)}`, this.maxQueued);
  }

  /** Open subscriptions of a topic for a user (tests check that ended ones are freed). */
  listenerCount(topic: Topic, userId: string): number {
    return this.emitter.listenerCount(`${topic}:${userId}`);
  }
}

export const createRealtimePubSub = (maxQueued?: number) => new RealtimePubSub(maxQueued);

const ended = { done: true, value: undefined } as const;

type Wake = (result: IteratorResult<RealtimeEvent, undefined>) => void;

/**
 * The events of one emitter name as an async iterator. Not `events.on`: it allocates two 2,048-slot queues per
 * iterator, 32 KiB for every open subscription, which made a graphql-ws socket cost 8 times a bare one. A class, not
 * closures over an object literal: it lives as long as its subscription, and each closure and computed method name
 * would be allocated again for every one.
 */
class TopicListener implements AsyncIterableIterator<RealtimeEvent> {
  private readonly queued: RealtimeEvent[] = [];
  /** The read waiting for the next event (for await has one at a time); more only for callers that do not wait. */
  private wake: Wake | undefined = undefined;
  private moreWaiting: Wake[] | undefined = undefined;
  private done = false;
  /** Set once the queue is full: what was queued is dropped and the next read fails, so nothing grows on. */
  private overflowed = false;
  /** The highest event id handed to this subscription: none goes to it twice. */
  private last = 0n;
  private readonly listener = (event: RealtimeEvent): void => this.heard(event);

  constructor(
    private readonly emitter: EventEmitter,
    private readonly name: string,
    private readonly maxQueued: number,
  ) {
    emitter.on(name, this.listener);
  }

  next(): Promise<IteratorResult<RealtimeEvent, undefined>> {
    const event = this.queued.shift();
    if (event !== undefined) return Promise.resolve({ done: false, value: event });
    if (this.overflowed) {
      this.overflowed = false;
      return Promise.reject(new SubscriptionQueueFull(this.maxQueued));
    }
    if (this.done) return Promise.resolve(ended);
    return new Promise((resolve) => {
      if (this.wake === undefined) this.wake = resolve;
      else (this.moreWaiting ??= []).push(resolve);
    });
  }

  return(): Promise<IteratorResult<RealtimeEvent, undefined>> {
    this.finish();
    return Promise.resolve(ended);
  }

  throw(error: unknown): Promise<IteratorResult<RealtimeEvent, undefined>> {
    this.finish();
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private heard(event: RealtimeEvent): void {
    const id = BigInt(event.id);
    if (id <= this.last) return;
    this.last = id;
    const wake = this.takeWaiting();
    if (wake) return wake({ done: false, value: event });
    if (this.queued.length >= this.maxQueued) {
      this.finish();
      this.overflowed = true;
      return;
    }
    this.queued.push(event);
  }

  /** The longest waiting read, in the order the reads were made. */
  private takeWaiting(): Wake | undefined {
    const wake = this.wake;
    this.wake = this.moreWaiting?.shift();
    return wake;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.emitter.off(this.name, this.listener);
    this.queued.length = 0;
    for (let wake = this.takeWaiting(); wake; wake = this.takeWaiting()) wake(ended);
  }
}

/** Hands each event to the subscriptions of its recipients on this instance. */
export function publishToSubscribers(pubSub: RealtimePubSub, event: RealtimeEvent): void {
  const replayable = REPLAYABLE_EVENT_NAMES.includes(event.name);
  for (const userId of event.recipientIds) {
    pubSub.publish(TOPIC_OF[event.name], String(userId), event);
    if (replayable) pubSub.publish(Topic.REALTIME_EVENTS, String(userId), event);
  }
}
