import {
  Arg,
  Args,
  FieldResolver,
  ID,
  Query,
  Resolver,
  Root,
  type SubscribeResolverData,
  Subscription,
} from 'type-graphql';
import type { DataSource } from 'typeorm';
import { Message, Notification } from '../../entities';
import { fromLegacyPayload } from '../../events/legacy-model';
import { type RealtimeEvent, RealtimeEventName } from '../../events/realtime-event';
import { fromUnreadCountsPayload } from '../../events/unread-counts';
import { resumableStream } from '../../realtime/resumable-stream';
import { type RealtimePubSub, Topic } from '../../realtime/topics';
import {
  MAX_EVENT_PAGE_SIZE,
  type RealtimeEventService,
  type RecordedEvent,
} from '../../services/realtime-event.service';
import type { Viewer } from '../../services/viewer';
import { RealtimeEventsArgs } from '../args/realtime-events.args';
import type { GraphQLContext } from '../context';
import { CurrentViewer } from '../current-viewer';
import { parseOptionalEventId, parseOptionalId } from '../ids';
import { RealtimeEventEntry, RealtimeEventPage } from '../types/realtime-event.type';
import { UnreadCounts } from '../types/unread-counts.type';
import { ownTopic } from './subscription.resolver';

const fromLive = (event: RealtimeEvent): RecordedEvent => ({
  id: event.id,
  name: event.name,
  createdAt: event.createdAt === undefined ? new Date() : new Date(event.createdAt),
  payload: event.payload,
});

@Resolver()
export class RealtimeEventResolver {
  constructor(
    private readonly events: RealtimeEventService,
    private readonly pubSub: RealtimePubSub,
  ) {}

  @Query(() => RealtimeEventPage, {
    name: 'realtimeEvents',
    description:
      'The catch-up of a client that was away: your events after an event id, oldest first. Without after, none ' +
      'and the newest lastId, to start from now. CURSOR_EXPIRED when events after that id are past retention ' +
      '(refetch instead).',
  })
  realtimeEventPage(
    @CurrentViewer() viewer: Viewer,
    @Args() args: RealtimeEventsArgs,
  ): Promise<RealtimeEventPage> {
    return this.events.page(viewer, {
      after: parseOptionalEventId(args.after, 'after'),
      first: args.first,
      userId: parseOptionalId(args.userId, 'userId'),
    });
  }

  @Query(() => UnreadCounts, { description: 'Your unread badges, counted now.' })
  async unreadCounts(@CurrentViewer() viewer: Viewer): Promise<UnreadCounts> {
    return { id: String(viewer.user.id), ...(await this.events.unreadCounts(viewer)) };
  }

  @Subscription(() => RealtimeEventEntry, {
    name: 'realtimeEvents',
    description:
      'Your events, resumable: first what you missed after `after` (an event id), then live, in id order, with ' +
      'no gap and no duplicate. Without after, live only. CURSOR_EXPIRED when events after that id are past ' +
      'retention (refetch, then subscribe from the lastId of the realtimeEvents query).',
    // type-graphql hands a custom subscribe no resolver instance: it is taken from the operation's container.
    subscribe: async ({
      source,
      args,
      context,
      info,
    }: SubscribeResolverData<unknown, { after?: string | null }, GraphQLContext>) => {
      const data = { root: source, args, context, info };
      const resolver = (await context.container.get(RealtimeEventResolver, data)) as RealtimeEventResolver;
      return resolver.resume(context, args.after);
    },
  })
  realtimeEventStream(
    @Root() event: RecordedEvent,
    @Arg('after', () => ID, { nullable: true, description: 'Resume after this event id.' }) _after?: string,
  ): RecordedEvent {
    return event;
  }

  @Subscription(() => UnreadCounts, {
    topics: Topic.UNREAD_COUNTS_CHANGED,
    topicId: ownTopic,
    description:
      'Your new unread counts, once per committed change that moved one of them, on every device ' +
      '(UnreadCountsUpdated on Pusher).',
  })
  unreadCountsChanged(@Root() event: RealtimeEvent): UnreadCounts {
    // The event is published on its one recipient's topic.
    return {
      id: String(event.recipientIds[0]),
      ...fromUnreadCountsPayload(event.payload),
      eventId: event.id,
    };
  }

  /** Listens first, then checks the position and replays: what commits meanwhile waits in the live listener. */
  async resume(
    context: GraphQLContext,
    after: string | null | undefined,
  ): Promise<AsyncIterable<RecordedEvent>> {
    const viewer = context.subscriber ?? (await context.viewer());
    const userId = viewer.user.id;
    const position = parseOptionalEventId(after, 'after');
    const live = this.pubSub.subscribe(Topic.REALTIME_EVENTS, String(userId));
    try {
      if (position !== undefined) await this.events.assertResumable(userId, position);
    } catch (error) {
      await live.return?.();
      throw error;
    }
    return resumableStream(
      live,
      fromLive,
      (from) => this.events.read(userId, from, MAX_EVENT_PAGE_SIZE),
      position,
    );
  }
}

@Resolver(() => RealtimeEventEntry)
export class RealtimeEventEntryResolver {
  constructor(private readonly dataSource: DataSource) {}

  @FieldResolver(() => Message, { nullable: true, description: 'Set for MessageCreated and MessageUpdated.' })
  message(@Root() event: RecordedEvent): Message | null {
    const isMessage =
      event.name === RealtimeEventName.MESSAGE_CREATED || event.name === RealtimeEventName.MESSAGE_UPDATED;
    return isMessage ? fromLegacyPayload<Message>(this.dataSource.getMetadata(Message), event.payload) : null;
  }

  @FieldResolver(() => Notification, {
    nullable: true,
    description: 'Set for NotificationCreated and NotificationUpdated.',
  })
  notification(@Root() event: RecordedEvent): Notification | null {
    const isNotification =
      event.name === RealtimeEventName.NOTIFICATION_CREATED ||
      event.name === RealtimeEventName.NOTIFICATION_UPDATED;
    return isNotification
      ? fromLegacyPayload<Notification>(this.dataSource.getMetadata(Notification), event.payload)
      : null;
  }
}
