import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { Logger as TypeOrmLogger } from 'typeorm';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/logger';
import { type RunningServer, startServer } from '../../src/server';
import { GraphQLClient } from './graphql-client';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-signing';

export interface TestServer {
  readonly server: RunningServer;
  readonly url: string;
  readonly client: GraphQLClient;
  readonly dataDir: string;
  close(): Promise<void>;
}

export interface TestServerOptions {
  readonly env?: Record<string, string | undefined>;
  readonly queryLogger?: TypeOrmLogger;
  /** Start on this data folder (e.g. to restart on the same embedded database). */
  readonly dataDir?: string;
  /** Keep the shared database as it is instead of emptying it first. */
  readonly keepDatabase?: boolean;
}

/** Empties the shared test database so migrations run from scratch, as on a fresh install. */
export async function resetDatabase(databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  } finally {
    await client.end();
  }
}

/**
 * Starts the real server on a free port: on DATABASE_URL when the environment has one (CI's PostgreSQL), else on
 * an embedded PostgreSQL in a temporary folder.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'jw-test-')));
  const env = {
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    DATABASE_URL: process.env.DATABASE_URL,
    // Test runs sharing one Redis (several checkouts at once) keep apart with their own prefix.
    REDIS_PREFIX: process.env.TEST_REDIS_PREFIX,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Every test client comes from 127.0.0.1 and many log in as the admin; throttling tests set their own limits.
    THROTTLE_LOGIN_PER_ACCOUNT: '100000/60',
    THROTTLE_LOGIN_PER_ACCOUNT_IP: '100000/60',
    THROTTLE_LOGIN_PER_IP: '100000/60',
    THROTTLE_REGISTER_PER_IP: '100000/60',
    THROTTLE_REFRESH_TOKEN_PER_IP: '100000/60',
    THROTTLE_CHANGE_PASSWORD_PER_USER: '100000/60',
    THROTTLE_BROADCASTING_AUTH_PER_IP: '100000/60',
    THROTTLE_LEGACY_API_PER_IP: '100000/60',
    THROTTLE_UPDATE_PROFILE_PER_USER: '100000/60',
    THROTTLE_SEND_MESSAGE_PER_USER: '100000/60',
    THROTTLE_SEND_MESSAGE_PER_PAIR: '100000/60',
    THROTTLE_TYPING_PER_USER: '100000/60',
    ...options.env,
  };
  const config = loadConfig(env);
  if (config.databaseUrl !== undefined && !options.keepDatabase) await resetDatabase(config.databaseUrl);
  const server = await startServer(config, createLogger(config.logLevel), {
    queryLogger: options.queryLogger,
  });
  return {
    server,
    url: server.url,
    client: new GraphQLClient(`${server.url}/graphql`),
    dataDir,
    async close() {
      await server.close();
      if (options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
