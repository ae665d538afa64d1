import type { Redis } from 'ioredis';

/** The last event of a cache channel, replayed to each new subscriber. */
export interface CachedEvent {
  readonly event: string;
  readonly data: string;
}

/** Pusher's cache channels: `cache-`, `private-cache-`, `private-encrypted-cache-` and `presence-cache-`. */
export const isCacheChannel = (channel: string): boolean =>
  /^(?:private-(?:encrypted-)?|presence-)?cache-/.test(channel);

/** Where the last event of each cache channel is kept, for `ttlSeconds`, over every instance. */
export interface CacheChannelStore {
  remember(channel: string, event: CachedEvent): Promise<void>;
  last(channel: string): Promise<CachedEvent | undefined>;
}

/** One instance: the events live in this process. */
export class InMemoryCacheChannelStore implements CacheChannelStore {
  private readonly events = new Map<string, { event: CachedEvent; expires: number }>();

  constructor(private readonly ttlSeconds: number) {}

  async remember(channel: string, event: CachedEvent): Promise<void> {
    // Re-inserted so the map stays in expiry order and the sweep below stops at the first live one.
    this.events.delete(channel);
    this.events.set(channel, { event, expires: Date.now() + this.ttlSeconds * 1000 });
    for (const [name, entry] of this.events) {
      if (entry.expires > Date.now()) break;
      this.events.delete(name);
    }
  }

  async last(channel: string): Promise<CachedEvent | undefined> {
    const entry = this.events.get(channel);
    return entry && entry.expires > Date.now() ? entry.event : undefined;
  }
}

/** With REDIS_URL: one key per channel, expiring on its own. */
export class RedisCacheChannelStore implements CacheChannelStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  async remember(channel: string, event: CachedEvent): Promise<void> {
    await this.redis.set(this.key(channel), JSON.stringify(event), 'EX', this.ttlSeconds);
  }

  async last(channel: string): Promise<CachedEvent | undefined> {
    const text = await this.redis.get(this.key(channel));
    return text === null ? undefined : (JSON.parse(text) as CachedEvent);
  }

  private key = (channel: string) => `${this.prefix}pusher-cache:${channel}`;
}
