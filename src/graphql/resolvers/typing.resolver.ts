import { Arg, ID, Mutation, Resolver, Root, type SubscribeResolverData, Subscription } from 'type-graphql';
import type { TypingChange } from '../../events/shared-bus';
import { LiveTopic, type LiveTopics } from '../../realtime/live-topics';
import type { TypingService } from '../../realtime/typing/typing.service';
import type { Viewer } from '../../services/viewer';
import type { GraphQLContext } from '../context';
import { CurrentViewer } from '../current-viewer';
import { parseId } from '../ids';
import { TypingIndicator } from '../types/typing-indicator.type';

@Resolver()
export class TypingResolver {
  constructor(
    private readonly typingService: TypingService,
    readonly topics: LiveTopics,
  ) {}

  @Mutation(() => Boolean, {
    description:
      'Tells the other user you are typing (call it on every keystroke): they get typingChanged and the Pusher ' +
      'event Typing at most once every 2 s, and typing: false 5 s after your last call or when you send them a ' +
      'message. Only to a user who has written to you (an admin: anyone), FORBIDDEN otherwise; never stored. ' +
      'Always true. Throttled per typist ' +
      '(TOO_MANY_REQUESTS, `retryAfter`).',
  })
  typing(
    @CurrentViewer() viewer: Viewer,
    @Arg('otherUserId', () => ID) otherUserId: string,
  ): Promise<boolean> {
    return this.typingService.typing(viewer, parseId(otherUserId, 'otherUserId'));
  }

  @Subscription(() => TypingIndicator, {
    subscribe: subscribeTyping,
    description: 'Who starts or stops typing to you (the Pusher event Typing carries the same).',
  })
  typingChanged(@Root() change: TypingChange): TypingIndicator {
    return {
      id: `${change.typistId}:${change.receiverId}`,
      userId: String(change.typistId),
      typing: change.typing,
    };
  }
}

async function subscribeTyping(
  data: SubscribeResolverData<unknown, Record<string, unknown>, GraphQLContext>,
): Promise<AsyncIterable<TypingChange>> {
  const { context } = data;
  const viewer = context.subscriber ?? (await context.viewer());
  const resolver = (await context.container.get(TypingResolver, {
    ...data,
    root: data.source,
  })) as TypingResolver;
  return resolver.topics.subscribe(LiveTopic.TYPING_CHANGED, [viewer.user.id]);
}
