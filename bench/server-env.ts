/**
 * The environment every benchmarked server process gets, in one place. Issue 7 adds per-IP and per-user limits
 * (logins, connections, channels, subscriptions, request rate) that a benchmark from one loopback address would hit:
 * add the settings that raise them to SERVER_LIMITS once their names are final.
 */
export const BENCH_SECRETS = {
  JWT_SECRET: 'bench-jwt-secret-0123456789abcdef-0123456789abcdef',
  PUSHER_APP_ID: 'bench-app-id-0123456789abcdef-0123456789',
  PUSHER_APP_KEY: 'bench-app-key-0123456789abcdef-0123456789',
  PUSHER_APP_SECRET: 'bench-app-secret-0123456789abcdef-01234567',
  ADMIN_EMAIL: 'bench-admin@bench.local',
  ADMIN_PASSWORD: 'bench-admin-password-0123456789abcdef-0123',
} as const;

/**
 * Limits the benchmark load must not trip; see the note above. All load comes from 127.0.0.1, and these are the
 * ones expected to matter: connections per IP (1,000 subscribers; memory opens 5,000 of one kind at once) and per
 * user (memory opens 5 per user), requests per IP and per user (read: 50 autocannon connections on one token;
 * writes: 50 senders as fast as answered; fan-out: 500/s), channels or subscriptions per connection (2 each).
 * Logins are not: tokens are minted (bench/dataset.ts).
 */
const SERVER_LIMITS: Record<string, string> = {};

export const ACCESS_TOKEN_TTL_SECONDS = 3600;

export function serverEnv(options: {
  port: number;
  databaseUrl?: string;
  dataDir: string;
}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(options.port),
    DATA_DIR: options.dataDir,
    ...(options.databaseUrl === undefined ? {} : { DATABASE_URL: options.databaseUrl }),
    LOG_LEVEL: 'warn',
    ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_SECONDS),
    ...BENCH_SECRETS,
    ...SERVER_LIMITS,
  };
}
