import { Redis } from 'ioredis';
import { Client } from 'pg';

export const SHARED_DATABASE_URL =
  process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const SHARED_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const SHARED_REDIS_PREFIX = process.env.TEST_REDIS_PREFIX ?? 'jobwarehouse:';

async function reachable(probe: () => Promise<unknown>): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a PostgreSQL server and Redis are reachable for tests of several instances, which an embedded database
 * cannot serve. Without them the tests are left out on a developer's machine, but CI (CI=true) must have them.
 */
export async function sharedServicesAvailable(): Promise<boolean> {
  const postgres = await reachable(async () => {
    const client = new Client({ connectionString: SHARED_DATABASE_URL, connectionTimeoutMillis: 2000 });
    await client.connect();
    await client.end();
  });
  const redis = await reachable(async () => {
    const client = new Redis(SHARED_REDIS_URL, {
      lazyConnect: true,
      connectTimeout: 2000,
      maxRetriesPerRequest: 0,
    });
    try {
      await client.connect();
      await client.ping();
    } finally {
      client.disconnect();
    }
  });
  if (postgres && redis) return true;
  const missing = [
    postgres ? '' : `PostgreSQL at ${SHARED_DATABASE_URL}`,
    redis ? '' : `Redis at ${SHARED_REDIS_URL}`,
  ]
    .filter(Boolean)
    .join(' and ');
  if (process.env.CI === 'true') throw new Error(`Tests of several instances need ${missing}`);
  process.stderr.write(`Tests of several instances left out: no ${missing} on this machine.\n`);
  return false;
}
