import type { ContainerType } from 'type-graphql';
import type { RealtimePubSub } from '../realtime/topics';
import type { LiveTopics } from '../realtime/live-topics';
import type { PresenceService } from '../realtime/presence/presence.service';
import type { TypingService } from '../realtime/typing/typing.service';
import type { Services } from '../services/services';
import { AuthResolver } from './resolvers/auth.resolver';
import { ConversationSummaryResolver, MessageResolver } from './resolvers/message.resolver';
import { NotificationResolver } from './resolvers/notification.resolver';
import { PresenceResolver } from './resolvers/presence.resolver';
import { RealtimeEventEntryResolver, RealtimeEventResolver } from './resolvers/realtime-event.resolver';
import { SubscriptionResolver } from './resolvers/subscription.resolver';
import { TypingResolver } from './resolvers/typing.resolver';
import { UserResolver } from './resolvers/user.resolver';

/** What is never stored: presence and typing, with the topics their subscriptions listen to. */
export interface LiveServices {
  readonly presence: PresenceService;
  readonly typing: TypingService;
  readonly topics: LiveTopics;
}

/** Every resolver class, with how to build its instance from the services, the live events and the live services. */
const factories = [
  [AuthResolver, (s: Services) => new AuthResolver(s.auth)],
  [UserResolver, (s: Services) => new UserResolver(s.users)],
  [MessageResolver, (s: Services) => new MessageResolver(s.messages)],
  [ConversationSummaryResolver, () => new ConversationSummaryResolver()],
  [NotificationResolver, (s: Services) => new NotificationResolver(s.notifications)],
  [SubscriptionResolver, (s: Services) => new SubscriptionResolver(s.dataSource)],
  [RealtimeEventResolver, (s: Services, p: RealtimePubSub) => new RealtimeEventResolver(s.realtimeEvents, p)],
  [RealtimeEventEntryResolver, (s: Services) => new RealtimeEventEntryResolver(s.dataSource)],
  [
    PresenceResolver,
    (_s: Services, _p: RealtimePubSub, l: LiveServices) => new PresenceResolver(l.presence, l.topics),
  ],
  [
    TypingResolver,
    (_s: Services, _p: RealtimePubSub, l: LiveServices) => new TypingResolver(l.typing, l.topics),
  ],
] as const;

export const resolverClasses = factories.map(([resolverClass]) => resolverClass) as [
  (typeof factories)[number][0],
  ...(typeof factories)[number][0][],
];

/** The resolver instances of one server, built once around its services. */
export function createResolverContainer(
  services: Services,
  pubSub: RealtimePubSub,
  live: LiveServices,
): ContainerType {
  const instances = new Map<unknown, object>(
    factories.map(([cls, build]) => [cls, build(services, pubSub, live)]),
  );
  return {
    get(resolverClass: unknown) {
      const instance = instances.get(resolverClass);
      if (instance === undefined) throw new Error(`No instance for resolver ${String(resolverClass)}`);
      return instance;
    },
  };
}
