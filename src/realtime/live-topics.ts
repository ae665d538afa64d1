import { EventEmitter } from 'node:events';
import type { PresenceChange, TypingChange } from '../events/shared-bus';
import { DEFAULT_MAX_QUEUED_EVENTS, SubscriptionQueueFull } from './topics';

/** GraphQL topics of what is never stored (presence, typing), each published per user. */
export enum LiveTopic {
  /** Keyed by the user whose presence changed. */
  PRESENCE_CHANGED = 'PRESENCE_CHANGED',
  /** Keyed by the user being typed to. */
  TYPING_CHANGED = 'TYPING_CHANGED',
}

export interface LiveTopicPayloads {
  [LiveTopic.PRESENCE_CHANGED]: PresenceChange;
  [LiveTopic.TYPING_CHANGED]: TypingChange;
}

/**
 * One instance's fan-out of presence and typing changes to its GraphQL subscriptions. A subscription may listen to
 * several users at once; it listens from the `subscribe` call on, and `return` frees its listeners at once.
 */
export class LiveTopics {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly open = new Set<() => void>();

  /** `maxQueued`: most changes one subscription holds for a client that does not read (SubscriptionQueueFull). */
  constructor(private readonly maxQueued = DEFAULT_MAX_QUEUED_EVENTS) {}

  publish<T extends LiveTopic>(topic: T, userId: number | string, payload: LiveTopicPayloads[T]): void {
    this.emitter.emit(`${topic}:${userId}`, payload);
  }

  subscribe<T extends LiveTopic>(
    topic: T,
    userIds: readonly (number | string)[],
  ): AsyncIterableIterator<LiveTopicPayloads[T]> {
    const names = [...new Set(userIds.map((id) => `${topic}:${id}`))];
    const queued: LiveTopicPayloads[T][] = [];
    let waiting: ((result: IteratorResult<LiveTopicPayloads[T]>) => void) | undefined;
    let done = false;
    let overflowed = false;
    const maxQueued = this.maxQueued;
    const listener = (payload: LiveTopicPayloads[T]) => {
      if (waiting) {
        const wake = waiting;
        waiting = undefined;
        wake({ done: false, value: payload });
      } else if (queued.length >= maxQueued) {
        end();
        overflowed = true;
      } else {
        queued.push(payload);
      }
    };
    for (const name of names) this.emitter.on(name, listener);
    const end = (): IteratorResult<LiveTopicPayloads[T]> => {
      this.open.delete(end);
      if (!done) {
        done = true;
        for (const name of names) this.emitter.off(name, listener);
        queued.length = 0;
      }
      waiting?.({ done: true, value: undefined });
      waiting = undefined;
      return { done: true, value: undefined };
    };
    this.open.add(end);
    return {
      next() {
        if (overflowed) {
          overflowed = false;
          return Promise.reject(new SubscriptionQueueFull(maxQueued));
        }
        if (done) return Promise.resolve({ done: true, value: undefined });
        const value = queued.shift();
        if (value !== undefined) return Promise.resolve({ done: false, value });
        return new Promise((resolve) => {
          waiting = resolve;
        });
      },
      async return() {
        return end();
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /**
   * Completes every open subscription: after a break of the bus some changes never arrived, and a client that
   * subscribes again (and asks for the state) is in sync again. These changes are not in the event log.
   */
  interrupt(): void {
    for (const end of [...this.open]) end();
  }

  /** Open subscriptions listening to a user (tests check that ended ones are freed). */
  listenerCount(topic: LiveTopic, userId: number | string): number {
    return this.emitter.listenerCount(`${topic}:${userId}`);
  }
}
