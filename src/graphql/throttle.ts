import { tooManyRequests } from '../errors';
import { type ThrottledAction, ThrottledError } from '../http/throttles';
import type { GraphQLContext } from './context';

/** Counts one attempt of `action` for `key`; past the limit refuses with TOO_MANY_REQUESTS and `retryAfter`. */
export async function throttle(context: GraphQLContext, action: ThrottledAction, key: string): Promise<void> {
  try {
    await context.throttles.consume(action, key);
  } catch (error) {
    if (error instanceof ThrottledError) throw tooManyRequests(error.retryAfterSeconds);
    throw error;
  }
}
