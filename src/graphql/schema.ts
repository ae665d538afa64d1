import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import type { RealtimePubSub } from '../realtime/topics';
import type { GraphQLContext } from './context';
import { resolverClasses } from './resolver-container';

/** The executable schema; resolver instances come from each operation's context, so servers never share them. */
export function createSchema(pubSub: RealtimePubSub): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: resolverClasses,
    pubSub,
    validate: { forbidUnknownValues: false },
    container: ({ context }: { context: GraphQLContext }) => context.container,
  });
}
