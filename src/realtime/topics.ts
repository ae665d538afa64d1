import { createPubSub } from '@graphql-yoga/subscription';
import { RealtimeEventName, type RealtimeEvent } from '../events/realtime-event';

/** GraphQL subscription topics; each is published per user, so an event costs only its recipients' subscriptions. */
export enum Topic {
  MESSAGE_CREATED = 'MESSAGE_CREATED',
  MESSAGE_UPDATED = 'MESSAGE_UPDATED',
  NOTIFICATION_CREATED = 'NOTIFICATION_CREATED',
  NOTIFICATION_UPDATED = 'NOTIFICATION_UPDATED',
}

export const TOPIC_OF: Record<RealtimeEventName, Topic> = {
  [RealtimeEventName.MESSAGE_CREATED]: Topic.MESSAGE_CREATED,
  [RealtimeEventName.MESSAGE_UPDATED]: Topic.MESSAGE_UPDATED,
  [RealtimeEventName.NOTIFICATION_CREATED]: Topic.NOTIFICATION_CREATED,
  [RealtimeEventName.NOTIFICATION_UPDATED]: Topic.NOTIFICATION_UPDATED,
};

/** A topic's channel is `[userId, event]`: type-graphql subscribes with the viewer's id as the topic id. */
export type RealtimeTopics = { [T in Topic]: [userId: string, event: RealtimeEvent] };

export const createRealtimePubSub = () => createPubSub<RealtimeTopics>();
export type RealtimePubSub = ReturnType<typeof createRealtimePubSub>;

/** Hands each event to the subscriptions of its recipients on this instance. */
export function publishToSubscribers(pubSub: RealtimePubSub, event: RealtimeEvent): void {
  for (const userId of event.recipientIds) pubSub.publish(TOPIC_OF[event.name], String(userId), event);
}
