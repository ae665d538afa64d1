import type { Redis } from 'ioredis';

/**
 * Who is typing to whom, shared by every instance. A pair is `<typistId>:<receiverId>`. Each `typing` call leaves
 * its own token as the pair's latest; the timer of the call that is still the latest ends the indicator.
 */
export interface TypingState {
  /** Records the call as the pair's latest; true when no event went out for the pair within `windowMs`. */
  touch(pair: string, token: string, windowMs: number, idleMs: number): Promise<boolean>;
  /** Ends the indicator when `token` is still the latest call; true when it did. */
  stopIfLatest(pair: string, token: string): Promise<boolean>;
  /** Ends the indicator whatever the latest call (the message was sent); true when one was on. */
  stop(pair: string): Promise<boolean>;
}

interface PairState {
  token: string;
  windowUntil: number;
}

/** One instance without Redis. */
export class InMemoryTypingState implements TypingState {
  private readonly pairs = new Map<string, PairState>();

  async touch(pair: string, token: string, windowMs: number): Promise<boolean> {
    const now = Date.now();
    const state = this.pairs.get(pair);
    const first = state === undefined || state.windowUntil <= now;
    this.pairs.set(pair, { token, windowUntil: first ? now + windowMs : state.windowUntil });
    return first;
  }

  async stopIfLatest(pair: string, token: string): Promise<boolean> {
    if (this.pairs.get(pair)?.token !== token) return false;
    return this.pairs.delete(pair);
  }

  async stop(pair: string): Promise<boolean> {
    return this.pairs.delete(pair);
  }
}

// KEYS: the pair's latest-call key, its window key.
const STOP_IF_LATEST = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0`;

interface TypingCommands {
  typingStopIfLatest(latestKey: string, windowKey: string, token: string): Promise<number>;
}

/**
 * Typing over several instances: the window is `SET NX PX`, so one call per pair and window wins whichever instance
 * it reaches; the latest call's token expires on its own should every instance die before ending it.
 */
export class RedisTypingState implements TypingState {
  private readonly redis: Redis & TypingCommands;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('typingStopIfLatest', { numberOfKeys: 2, lua: STOP_IF_LATEST });
    this.redis = redis as Redis & TypingCommands;
  }

  async touch(pair: string, token: string, windowMs: number, idleMs: number): Promise<boolean> {
    const results = await this.redis
      .multi()
      .set(this.latestKey(pair), token, 'PX', idleMs * 2)
      .set(this.windowKey(pair), '1', 'PX', windowMs, 'NX')
      .exec();
    const [, won] = results ?? [];
    return won?.[1] === 'OK';
  }

  async stopIfLatest(pair: string, token: string): Promise<boolean> {
    return (await this.redis.typingStopIfLatest(this.latestKey(pair), this.windowKey(pair), token)) === 1;
  }

  async stop(pair: string): Promise<boolean> {
    const results = await this.redis.multi().del(this.latestKey(pair)).del(this.windowKey(pair)).exec();
    return results?.[0]?.[1] === 1;
  }

  private latestKey = (pair: string) => `${this.prefix}typing:latest:${pair}`;
  private windowKey = (pair: string) => `${this.prefix}typing:window:${pair}`;
}
