import { Resolver, Root, type SubscribeResolverData, Subscription } from 'type-graphql';
import type { DataSource } from 'typeorm';
import { Message, Notification } from '../../entities';
import { fromLegacyPayload } from '../../events/legacy-model';
import type { RealtimeEvent } from '../../events/realtime-event';
import { Topic } from '../../realtime/topics';
import type { GraphQLContext } from '../context';

// Each subscriber listens on its own user's topic; an unauthenticated socket never gets this far.
export const ownTopic = ({ context }: SubscribeResolverData<unknown, unknown, GraphQLContext>): string =>
  String(context.subscriber?.user.id ?? '');

@Resolver()
export class SubscriptionResolver {
  constructor(private readonly dataSource: DataSource) {}

  @Subscription(() => Message, {
    topics: Topic.MESSAGE_CREATED,
    topicId: ownTopic,
    description: 'Messages sent to you, as the Pusher event MessageCreated delivers them.',
  })
  messageCreated(@Root() event: RealtimeEvent): Message {
    return this.read(Message, event);
  }

  @Subscription(() => Message, {
    topics: Topic.MESSAGE_UPDATED,
    topicId: ownTopic,
    description: 'Changes to messages you sent or received (MessageUpdated): only when a value changed.',
  })
  messageUpdated(@Root() event: RealtimeEvent): Message {
    return this.read(Message, event);
  }

  @Subscription(() => Notification, {
    topics: Topic.NOTIFICATION_CREATED,
    topicId: ownTopic,
    description: 'Notifications sent to you (NotificationCreated).',
  })
  notificationCreated(@Root() event: RealtimeEvent): Notification {
    return this.read(Notification, event);
  }

  @Subscription(() => Notification, {
    topics: Topic.NOTIFICATION_UPDATED,
    topicId: ownTopic,
    description: 'Changes to your notifications (NotificationUpdated): only when a value changed.',
  })
  notificationUpdated(@Root() event: RealtimeEvent): Notification {
    return this.read(Notification, event);
  }

  /**
   * The row a Pusher client got in `data.model`, as the GraphQL type: both transports carry the same data, and the
   * event id, so a client can tell a delivery it already handled (and resume `realtimeEvents` from it).
   */
  private read<T extends Message | Notification>(entity: new () => T, event: RealtimeEvent): T {
    const row = fromLegacyPayload<T>(this.dataSource.getMetadata(entity), event.payload);
    row.eventId = event.id;
    return row;
  }
}
