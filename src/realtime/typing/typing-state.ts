import type { Redis } from 'ioredis';

/**
 * Who is typing to whom, shared by every instance. A pair is `<typistId>:<receiverId>`. Each `typing` call leaves
 * its own token as the pair's latest; the timer of the call that is still the latest ends the indicator.
 */
export interface TypingState {
  /** Records the call as the pair's latest; true when no event went out for the pair within `windowMs`. */
  touch(pair: string, token: string, windowMs: number, idleMs: number): Promise<boolean>;
  /** Ends the indicator when `token` is still the latest call; true when it was on and this ended it. */
  stopIfLatest(pair: string, token: string): Promise<boolean>;
  /** Ends the indicator whatever the latest call (the message was sent); true when one was on. */
  stop(pair: string): Promise<boolean>;
  /**
   * The watchdog of every instance, for a pair whose timer died with its instance: ends the indicator when its
   * latest call is `idleMs` old. `ended` when this call ended it, `fresh` when a call is younger, `off` when it is
   * not on (already ended).
   */
  stopIfStale(pair: string, idleMs: number): Promise<StaleCheck>;
}

export type StaleCheck = 'ended' | 'fresh' | 'off';

interface PairState {
  token: string;
  windowUntil: number;
  lastCallAt: number;
}

/** One instance without Redis: a pair is on while it has an entry. */
export class InMemoryTypingState implements TypingState {
  private readonly pairs = new Map<string, PairState>();

  async touch(pair: string, token: string, windowMs: number): Promise<boolean> {
    const now = Date.now();
    const state = this.pairs.get(pair);
    const first = state === undefined || state.windowUntil <= now;
    this.pairs.set(pair, { token, windowUntil: first ? now + windowMs : state.windowUntil, lastCallAt: now });
    return first;
  }

  async stopIfLatest(pair: string, token: string): Promise<boolean> {
    if (this.pairs.get(pair)?.token !== token) return false;
    return this.pairs.delete(pair);
  }

  async stop(pair: string): Promise<boolean> {
    return this.pairs.delete(pair);
  }

  async stopIfStale(pair: string, idleMs: number): Promise<StaleCheck> {
    const state = this.pairs.get(pair);
    if (state === undefined) return 'off';
    if (Date.now() - state.lastCallAt < idleMs) return 'fresh';
    this.pairs.delete(pair);
    return 'ended';
  }
}

// Keys of a pair: its latest call (token, expiring 2 x idle after the call), its window (at most one `true` per
// window), and `on` (set when a `true` went out, deleted by whichever ending comes first: so `false` goes out once).
const TOUCH = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
if redis.call('SET', KEYS[2], '1', 'PX', ARGV[2], 'NX') then
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
  return 1
end
return 0`;

const STOP_IF_LATEST = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return redis.call('DEL', KEYS[3])
end
return 0`;

const STOP = `
redis.call('DEL', KEYS[1], KEYS[2])
return redis.call('DEL', KEYS[3])`;

// ARGV: idle ms, the latest-call key's full time to live. Its age is that time to live less what is left of it.
const STOP_IF_STALE = `
if redis.call('EXISTS', KEYS[3]) == 0 then return -1 end
local left = redis.call('PTTL', KEYS[1])
if left > 0 and tonumber(ARGV[2]) - left < tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
return redis.call('DEL', KEYS[3])`;

/** Past this an `on` marker is dropped even if nothing ended it (every instance died at once). */
const ON_MAX_MS = 10 * 60_000;

interface TypingCommands {
  typingTouch(
    latest: string,
    window: string,
    on: string,
    token: string,
    windowMs: number,
    latestTtlMs: number,
    onTtlMs: number,
  ): Promise<number>;
  typingStopIfLatest(latest: string, window: string, on: string, token: string): Promise<number>;
  typingStop(latest: string, window: string, on: string): Promise<number>;
  typingStopIfStale(
    latest: string,
    window: string,
    on: string,
    idleMs: number,
    latestTtlMs: number,
  ): Promise<number>;
}

/**
 * Typing over several instances: the window is `SET NX PX`, so one call per pair and window wins whichever instance
 * it reaches; the `on` marker makes the end go out once, whether the last call's timer, a sent message, or (when
 * that call's instance died) another instance's watchdog ends it.
 */
export class RedisTypingState implements TypingState {
  private readonly redis: Redis & TypingCommands;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('typingTouch', { numberOfKeys: 3, lua: TOUCH });
    redis.defineCommand('typingStopIfLatest', { numberOfKeys: 3, lua: STOP_IF_LATEST });
    redis.defineCommand('typingStop', { numberOfKeys: 3, lua: STOP });
    redis.defineCommand('typingStopIfStale', { numberOfKeys: 3, lua: STOP_IF_STALE });
    this.redis = redis as Redis & TypingCommands;
  }

  async touch(pair: string, token: string, windowMs: number, idleMs: number): Promise<boolean> {
    const won = await this.redis.typingTouch(...this.keys(pair), token, windowMs, idleMs * 2, ON_MAX_MS);
    return won === 1;
  }

  async stopIfLatest(pair: string, token: string): Promise<boolean> {
    return (await this.redis.typingStopIfLatest(...this.keys(pair), token)) === 1;
  }

  async stop(pair: string): Promise<boolean> {
    return (await this.redis.typingStop(...this.keys(pair))) === 1;
  }

  async stopIfStale(pair: string, idleMs: number): Promise<StaleCheck> {
    const result = await this.redis.typingStopIfStale(...this.keys(pair), idleMs, idleMs * 2);
    return result === 1 ? 'ended' : result === 0 ? 'fresh' : 'off';
  }

  private keys(pair: string): [string, string, string] {
    return [
      `${this.prefix}typing:latest:${pair}`,
      `${this.prefix}typing:window:${pair}`,
      `${this.prefix}typing:on:${pair}`,
    ];
  }
}
