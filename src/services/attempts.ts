import { tooManyRequests } from '../errors';
import { type ThrottledAction, ThrottledError, type Throttles } from '../http/throttles';
import { normalizeEmail } from './user.service';
import type { Viewer } from './viewer';

/** Counts one attempt of `action` for `key`; past the limit refuses with TOO_MANY_REQUESTS and `retryAfter`. */
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

/**
 * What each throttled account action counts against, for the GraphQL API and the legacy routes alike, so both
 * doors share one count per client and per account.
 */
export const accountAttempts = {
  async login(throttles: Throttles, client: string, email: string): Promise<void> {
    await countAttempt(throttles, 'loginPerIp', client);
    await countAttempt(throttles, 'loginPerAccount', normalizeEmail(email));
  },
  register: (throttles: Throttles, client: string) => countAttempt(throttles, 'registerPerIp', client),
  refresh: (throttles: Throttles, client: string) => countAttempt(throttles, 'refreshTokenPerIp', client),
  changePassword: (throttles: Throttles, viewer: Viewer) =>
    countAttempt(throttles, 'changePasswordPerUser', String(viewer.user.id)),
};
