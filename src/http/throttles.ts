import { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { Logger } from '../logger';

/** The actions that are throttled, each counted per the key named after it. */
export type ThrottledAction =
  | 'loginPerAccount'
  | 'loginPerAccountIp'
  | 'loginPerIp'
  | 'registerPerIp'
  | 'refreshTokenPerIp'
  | 'changePasswordPerUser'
  | 'updateProfilePerUser'
  | 'sendMessagePerUser'
  | 'sendMessagePerPair'
  | 'typingPerUser'
  | 'broadcastingAuthPerIp'
  | 'legacyApiPerIp';

/** One counted attempt: how many the key has made in its window (this one included), and whether that is too many. */
export interface CountedAttempt {
  readonly count: number;
  readonly over: boolean;
  /** Seconds until the key's window ends. */
  readonly retryAfterSeconds: number;
}

/** At most `points` attempts per `durationSeconds`. */
export interface ThrottleLimit {
  readonly points: number;
  readonly durationSeconds: number;
}

export type ThrottleLimits = Readonly<Record<ThrottledAction, ThrottleLimit>>;

/** What a refused attempt learns: how many seconds until it may try again. */
export class ThrottledError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many attempts; try again in ${retryAfterSeconds} seconds.`);
    this.name = 'ThrottledError';
  }
}

/**
 * Counts attempts per action and key, in Redis when REDIS_URL is set (so every instance shares one count) and in
 * memory otherwise. While Redis is unreachable each instance falls back to counting on its own, rather than
 * refusing everyone or letting everyone through.
 */
export class Throttles {
  private constructor(
    private readonly limiters: ReadonlyMap<ThrottledAction, RateLimiterAbstract>,
    private readonly redis: Redis | undefined,
  ) {}

  static create(limits: ThrottleLimits, redis?: { url: string; prefix: string; logger: Logger }): Throttles {
    const client = redis
      ? new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
      : undefined;
    client?.on('error', (error: unknown) => redis?.logger.warn({ err: error }, 'throttle store unreachable'));
    const limiters = new Map<ThrottledAction, RateLimiterAbstract>();
    for (const [action, limit] of Object.entries(limits) as [ThrottledAction, ThrottleLimit][]) {
      const options = { points: limit.points, duration: limit.durationSeconds };
      const memory = new RateLimiterMemory({ ...options, keyPrefix: action });
      limiters.set(
        action,
        client && redis
          ? new RateLimiterRedis({
              ...options,
              storeClient: client,
              keyPrefix: `${redis.prefix}throttle:${action}`,
              insuranceLimiter: memory,
            })
          : memory,
      );
    }
    return new Throttles(limiters, client);
  }

  /** Counts one attempt; throws ThrottledError when the key has used up its attempts. */
  async consume(action: ThrottledAction, key: string): Promise<void> {
    const limiter = this.limiters.get(action);
    if (!limiter) return;
    try {
      await limiter.consume(key);
    } catch (refusal) {
      if (refusal instanceof RateLimiterRes) {
        throw new ThrottledError(Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)));
      }
      throw refusal;
    }
  }

  /** Counts one attempt and says where the key stands, without refusing: for rules that look at several counts. */
  async count(action: ThrottledAction, key: string): Promise<CountedAttempt> {
    const limiter = this.limiters.get(action);
    if (!limiter) return { count: 0, over: false, retryAfterSeconds: 0 };
    let result: RateLimiterRes;
    try {
      result = await limiter.consume(key);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      result = refusal;
    }
    return {
      count: result.consumedPoints,
      over: result.consumedPoints > limiter.points,
      retryAfterSeconds: Math.max(1, Math.ceil(result.msBeforeNext / 1000)),
    };
  }

  /** Takes back one counted attempt (it turned out not to be one the limit is about, such as a login that worked). */
  async refund(action: ThrottledAction, key: string): Promise<void> {
    await this.limiters.get(action)?.reward(key, 1);
  }

  /** Forgets every attempt of the key. */
  async reset(action: ThrottledAction, key: string): Promise<void> {
    await this.limiters.get(action)?.delete(key);
  }

  async close(): Promise<void> {
    if (this.redis && this.redis.status !== 'end') await this.redis.quit().catch(() => undefined);
  }
}
