import { createParameterDecorator } from 'type-graphql';
import type { GraphQLContext } from './context';

/** Injects the authenticated viewer; the operation fails with UNAUTHENTICATED when there is none. */
export function CurrentViewer() {
  return createParameterDecorator<GraphQLContext>(({ context }) => context.viewer());
}
