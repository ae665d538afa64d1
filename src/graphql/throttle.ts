import type { ThrottledAction } from '../http/throttles';
import { countAttempt } from '../services/attempts';
import type { GraphQLContext } from './context';

/** Counts one attempt of `action` for `key`; past the limit refuses with TOO_MANY_REQUESTS and `retryAfter`. */
export function throttle(context: GraphQLContext, action: ThrottledAction, key: string): Promise<void> {
  return countAttempt(context.throttles, action, key);
}
