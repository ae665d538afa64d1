import { tooManyRequests } from '../errors';
import type { Throttles } from '../http/throttles';

/** What a login attempt that was let through reports back once the password was checked. */
export interface LoginAttempt {
  /** The password was right: this attempt was not a failure, and the client's failures on the account are forgotten. */
  succeeded(): Promise<void>;
}

/**
 * Login throttling that locks out attackers, not owners. Only failures count (each attempt is counted before the
 * password is checked, so parallel guesses are bounded too, and taken back when it succeeds):
 * - per client IP, over every account (`loginPerIp`): one address guessing many accounts;
 * - per account and client IP (`loginPerAccountIp`): that address is refused for that account, the owner
 *   elsewhere is not;
 * - per account, from every address (`loginPerAccount`): past it the account is under a spread-out attack, and only
 *   addresses without a failure on it in the window get a password check, one each. The right password from a
 *   client without recent failures always gets in.
 */
export class LoginThrottle {
  constructor(private readonly throttles: Throttles) {}

  /** Counts the attempt; refuses with TOO_MANY_REQUESTS (and `retryAfter`) before any password is checked. */
  async attempt(account: string, client: string): Promise<LoginAttempt> {
    // An email holds no space, so the pair key cannot be forged from another pair.
    const pair = `${account} ${client}`;
    const fromClient = await this.throttles.count('loginPerIp', client);
    if (fromClient.over) throw tooManyRequests(fromClient.retryAfterSeconds);
    const fromPair = await this.throttles.count('loginPerAccountIp', pair);
    if (fromPair.over) throw tooManyRequests(fromPair.retryAfterSeconds);
    const onAccount = await this.throttles.count('loginPerAccount', account);
    if (onAccount.over && fromPair.count > 1) throw tooManyRequests(onAccount.retryAfterSeconds);
    return {
      succeeded: async () => {
        await Promise.all([
          this.throttles.reset('loginPerAccountIp', pair),
          this.throttles.refund('loginPerIp', client),
          this.throttles.refund('loginPerAccount', account),
        ]);
      },
    };
  }
}
