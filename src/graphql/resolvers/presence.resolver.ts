import { Arg, ID, Query, Resolver, Root, type SubscribeResolverData, Subscription } from 'type-graphql';
import type { PresenceChange } from '../../events/shared-bus';
import { LiveTopic, type LiveTopics } from '../../realtime/live-topics';
import type { PresenceService } from '../../realtime/presence/presence.service';
import type { Viewer } from '../../services/viewer';
import { MAX_PRESENCE_USER_IDS, parseUserIds } from '../args/user-ids';
import type { GraphQLContext } from '../context';
import { CurrentViewer } from '../current-viewer';
import { UserPresence } from '../types/user-presence.type';

const WHO_MAY_SEE =
  `At most ${MAX_PRESENCE_USER_IDS} ids, each of someone who has written to you (an admin: anyone); ` +
  'otherwise FORBIDDEN.';

@Resolver()
export class PresenceResolver {
  constructor(
    readonly presenceService: PresenceService,
    readonly topics: LiveTopics,
  ) {}

  @Query(() => [UserPresence], { description: `Who of these users is online. ${WHO_MAY_SEE}` })
  async presence(
    @CurrentViewer() viewer: Viewer,
    @Arg('userIds', () => [ID]) userIds: string[],
  ): Promise<UserPresence[]> {
    const states = await this.presenceService.presence(viewer, parseUserIds(userIds, 'userIds'));
    return states.map((state) => ({ ...state, id: String(state.userId), userId: String(state.userId) }));
  }

  @Subscription(() => UserPresence, {
    subscribe: subscribePresence,
    description: `One event each time one of these users comes online or goes offline (not per socket). ${WHO_MAY_SEE}`,
  })
  presenceChanged(
    @Root() change: PresenceChange,
    // Read by subscribePresence; declared here so the schema has the argument.
    @Arg('userIds', () => [ID]) _userIds: string[],
  ): UserPresence {
    return {
      id: change.member,
      userId: change.member,
      online: change.present,
      lastSeenAt: new Date(change.at),
    };
  }
}

/** Checks who may be watched before listening: a refused subscription never starts. */
async function subscribePresence(
  data: SubscribeResolverData<unknown, { userIds: string[] }, GraphQLContext>,
): Promise<AsyncIterable<PresenceChange>> {
  const { args, context } = data;
  const viewer = context.subscriber ?? (await context.viewer());
  const userIds = parseUserIds(args.userIds, 'userIds');
  const resolver = (await context.container.get(PresenceResolver, {
    ...data,
    root: data.source,
  })) as PresenceResolver;
  await resolver.presenceService.assertMayWatch(viewer, userIds);
  return resolver.topics.subscribe(LiveTopic.PRESENCE_CHANGED, userIds);
}
