/** The environment every benchmarked server process gets, in one place. */
export const BENCH_SECRETS = {
  JWT_SECRET: 'bench-jwt-secret-0123456789abcdef-0123456789abcdef',
  PUSHER_APP_ID: 'bench-app-id-0123456789abcdef-0123456789',
  PUSHER_APP_KEY: 'bench-app-key-0123456789abcdef-0123456789',
  PUSHER_APP_SECRET: 'bench-app-secret-0123456789abcdef-01234567',
  ADMIN_EMAIL: 'bench-admin@bench.local',
  ADMIN_PASSWORD: 'bench-admin-password-0123456789abcdef-0123',
} as const;

/**
 * Limits the benchmark load must not trip: all of it comes from 127.0.0.1, which the defaults treat as one client.
 * Sockets per address and per instance, anonymous ones too (1,000 subscribers, 10,000 in the largest notification
 * burst; memory opens 5,000 of each kind), channel authorizations per address (one per pusher-js subscriber) and
 * messages per sender and per pair (the write benchmarks send far faster than people do) are raised; logins are not
 * throttled because tokens are minted (bench/dataset.ts).
 */
const SERVER_LIMITS: Record<string, string> = {
  SOCKET_MAX_CONNECTIONS_PER_IP: '20000',
  SOCKET_MAX_UNAUTHENTICATED_PER_IP: '20000',
  SOCKET_MAX_CONNECTIONS: '20000',
  THROTTLE_BROADCASTING_AUTH_PER_IP: '1000000/60',
  THROTTLE_SEND_MESSAGE_PER_USER: '1000000/60',
  THROTTLE_SEND_MESSAGE_PER_PAIR: '1000000/60',
};

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
