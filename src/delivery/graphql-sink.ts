import { publishToSubscribers, type RealtimePubSub } from '../realtime/topics';
import type { EventSink } from './event-sink';

/** This instance's graphql-ws subscriptions: each event to the topics of its recipients. */
export function graphqlSink(pubSub: RealtimePubSub): EventSink {
  return {
    name: 'graphql-ws',
    deliver(events) {
      for (const event of events) publishToSubscribers(pubSub, event);
    },
  };
}
