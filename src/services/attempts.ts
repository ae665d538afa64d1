import { tooManyRequests } from '../errors';
import { type ThrottledAction, ThrottledError, type Throttles } from '../http/throttles';

/**
 * Counts one attempt of `action` for `key`; past the limit refuses with TOO_MANY_REQUESTS and `retryAfter`. The
 * services call it, so every door into them (GraphQL over HTTP and graphql-ws, the legacy routes) meets the same
 * limits and shares one count per client and per account.
 */
export async function countAttempt(
  throttles: Throttles,
  action: ThrottledAction,
  key: string,
): Promise<void> {
  try {
    await throttles.consume(action, key);
  } catch (error) {
    if (error instanceof ThrottledError) throw tooManyRequests(error.retryAfterSeconds);
    throw error;
  }
}
