import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logger';
import type { ExpiredMember, PresenceStore, PresenceStoreHandlers } from './presence-store';

// Keys under `<prefix>presence:`. An entry is `<group>|<member>`: Pusher channel names never hold a `|`.
//   instances              sorted set: instance id -> when its heartbeat expires (ms)
//   held:<instance>        set of the entries an instance holds
//   holders:<entry>        set of the instances holding an entry; the member is present while it is not empty
//   members:<group>        hash: member -> the info it joined with
//   version                counter: the version of every change, in the order the changes happened
//
// A version is never below Redis's clock in microseconds (NEXT_VERSION): were the counter lost (a restart without
// persistence, a failover, an eviction, a flush), the next change still outranks every change before it, instead of
// being dropped as old for as long as the counter takes to climb back. The clock is the epoch, the counter orders
// changes within it.
const NEXT_VERSION = `
local function nextVersion(key)
  local now = redis.call('TIME')
  local floor = tonumber(now[1]) * 1000000 + tonumber(now[2])
  local version = redis.call('INCR', key)
  if version < floor then
    redis.call('SET', key, string.format('%d', floor))
    version = floor
  end
  return version
end`;

const JOIN = `${NEXT_VERSION}
local added = redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
if added == 1 and redis.call('SCARD', KEYS[1]) == 1 then return nextVersion(KEYS[4]) end
return 0`;

const LEAVE = `${NEXT_VERSION}
local removed = redis.call('SREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[2])
if removed == 1 and redis.call('SCARD', KEYS[1]) == 0 then
  redis.call('HDEL', KEYS[3], ARGV[3])
  return nextVersion(KEYS[4])
end
return 0`;

// Only the instance whose ZREM succeeds sweeps a dead one, so each member that leaves is reported once.
const SWEEP = `${NEXT_VERSION}
if redis.call('ZREM', KEYS[1], ARGV[2]) == 0 then return {} end
local held = ARGV[1] .. 'held:' .. ARGV[2]
local gone = {}
for _, entry in ipairs(redis.call('SMEMBERS', held)) do
  local holders = ARGV[1] .. 'holders:' .. entry
  if redis.call('SREM', holders, ARGV[2]) == 1 and redis.call('SCARD', holders) == 0 then
    local bar = string.find(entry, '|', 1, true)
    redis.call('HDEL', ARGV[1] .. 'members:' .. string.sub(entry, 1, bar - 1), string.sub(entry, bar + 1))
    table.insert(gone, entry)
    table.insert(gone, nextVersion(ARGV[1] .. 'version'))
  end
end
redis.call('DEL', held)
return gone`;

interface PresenceCommands {
  presenceJoin(...args: string[]): Promise<number>;
  presenceLeave(...args: string[]): Promise<number>;
  /** Each member gone, then its change's version. */
  presenceSweep(...args: string[]): Promise<(string | number)[]>;
}

export interface RedisPresenceSettings {
  readonly prefix: string;
  readonly heartbeatSeconds: number;
  readonly ttlSeconds: number;
}

/**
 * Presence shared by every instance through Redis. Each instance renews a heartbeat; every live instance sweeps for
 * instances whose heartbeat expired and takes their members away, so a killed instance's users go offline within
 * the expiry plus one heartbeat interval.
 */
export class RedisPresenceStore implements PresenceStore {
  readonly instanceId = randomUUID();
  private readonly keys: string;
  private readonly redis: Redis & PresenceCommands;
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> = Promise.resolve();
  private handlers: PresenceStoreHandlers | undefined;

  constructor(
    redis: Redis,
    private readonly settings: RedisPresenceSettings,
    private readonly logger: Logger,
  ) {
    this.keys = `${settings.prefix}presence:`;
    redis.defineCommand('presenceJoin', { numberOfKeys: 4, lua: JOIN });
    redis.defineCommand('presenceLeave', { numberOfKeys: 4, lua: LEAVE });
    redis.defineCommand('presenceSweep', { numberOfKeys: 1, lua: SWEEP });
    this.redis = redis as Redis & PresenceCommands;
  }

  async start(handlers: PresenceStoreHandlers): Promise<void> {
    this.handlers = handlers;
    await this.renew();
    this.timer = setInterval(() => {
      this.beating = this.beating.then(() => this.beat());
    }, this.settings.heartbeatSeconds * 1000);
    this.timer.unref();
    // Instances that died while none was running are swept at once, not a heartbeat later.
    await this.sweep();
  }

  async join(group: string, member: string, info: string): Promise<number> {
    const entry = `${group}|${member}`;
    return this.redis.presenceJoin(
      this.holdersKey(entry),
      this.heldKey(this.instanceId),
      this.membersKey(group),
      `${this.keys}version`,
      this.instanceId,
      entry,
      member,
      info,
    );
  }

  async leave(group: string, member: string): Promise<number> {
    const entry = `${group}|${member}`;
    return this.redis.presenceLeave(
      this.holdersKey(entry),
      this.heldKey(this.instanceId),
      this.membersKey(group),
      `${this.keys}version`,
      this.instanceId,
      entry,
      member,
    );
  }

  async members(group: string): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(this.membersKey(group))));
  }

  async present(group: string, members: readonly string[]): Promise<boolean[]> {
    if (members.length === 0) return [];
    const found = await this.redis.hmget(this.membersKey(group), ...members);
    return found.map((info) => info !== null);
  }

  async stop(): Promise<ExpiredMember[]> {
    clearInterval(this.timer);
    await this.beating;
    const gone = await this.redis.presenceSweep(`${this.keys}instances`, this.keys, this.instanceId);
    return expiredEntries(gone, new Date());
  }

  async liveInstances(): Promise<number> {
    return this.redis.zcount(`${this.keys}instances`, Date.now(), '+inf');
  }

  private heldKey = (instance: string) => `${this.keys}held:${instance}`;
  private holdersKey = (entry: string) => `${this.keys}holders:${entry}`;
  private membersKey = (group: string) => `${this.keys}members:${group}`;

  /** Whether this instance's heartbeat was missing: it had been swept as dead. */
  private async renew(): Promise<boolean> {
    const expires = Date.now() + this.settings.ttlSeconds * 1000;
    return (await this.redis.zadd(`${this.keys}instances`, expires, this.instanceId)) === 1;
  }

  private async beat(): Promise<void> {
    try {
      if (await this.renew()) {
        this.logger.warn('presence heartbeat had expired; joining this instance\u2019s members again');
        this.handlers?.lost();
      }
      await this.sweep();
    } catch (error) {
      this.logger.warn({ err: error }, 'presence heartbeat failed');
    }
  }

  /** Takes the members of instances whose heartbeat expired away, reporting those that left with them. */
  private async sweep(): Promise<void> {
    const dead = await this.redis.zrangebyscore(`${this.keys}instances`, '-inf', Date.now(), 'WITHSCORES');
    for (let i = 0; i < dead.length; i += 2) {
      const instance = dead[i];
      if (instance === this.instanceId) continue;
      const lastSeen = new Date(Number(dead[i + 1]) - this.settings.ttlSeconds * 1000);
      const gone = await this.redis.presenceSweep(`${this.keys}instances`, this.keys, instance);
      if (gone.length > 0) this.handlers?.expired(expiredEntries(gone, lastSeen));
    }
  }
}

/** What SWEEP returns, each entry followed by its change's version, as members gone. */
function expiredEntries(gone: readonly (string | number)[], lastSeen: Date): ExpiredMember[] {
  const members: ExpiredMember[] = [];
  for (let i = 0; i < gone.length; i += 2) {
    const entry = String(gone[i]);
    const bar = entry.indexOf('|');
    members.push({
      group: entry.slice(0, bar),
      member: entry.slice(bar + 1),
      lastSeen,
      version: Number(gone[i + 1]),
    });
  }
  return members;
}
