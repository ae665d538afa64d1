import { Redis } from 'ioredis';

/**
 * Counts the Redis commands that touch one key prefix (keys, and pub/sub channels), from a `MONITOR` connection:
 * the commands of one server started with that REDIS_PREFIX, whoever else uses the same Redis. Commands inside a
 * MULTI are counted one by one (each is a command Redis runs), those a script runs are not.
 */
export class RedisCounter {
  private count = 0;
  private readonly byCommand = new Map<string, number>();

  private constructor(
    private readonly monitor: Redis,
    readonly prefix: string,
  ) {}

  static async start(url: string, prefix: string): Promise<RedisCounter> {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    const monitor = await client.monitor();
    const counter = new RedisCounter(monitor, prefix);
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      // What a script runs inside Redis is listed too, from "lua": one EVALSHA is one command for the server.
      if (source === 'lua' || !args.slice(1).some((arg) => arg.startsWith(prefix))) return;
      counter.count++;
      const name = (args[0] ?? '').toLowerCase();
      counter.byCommand.set(name, (counter.byCommand.get(name) ?? 0) + 1);
    });
    client.disconnect();
    return counter;
  }

  /** Commands counted so far, in all and by name. */
  counts(): { total: number; byCommand: Record<string, number> } {
    return { total: this.count, byCommand: Object.fromEntries(this.byCommand) };
  }

  close(): void {
    this.monitor.disconnect();
  }
}

/** Whether a Redis answers at `url`. */
export async function redisReachable(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
