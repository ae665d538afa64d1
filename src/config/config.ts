import path from 'node:path';

/** The validated settings of one server process; see `.env.example` for each variable. */
export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly isProduction: boolean;
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly redisUrl: string | undefined;
  /** Prefixes every Redis channel and key, so deployments (or test runs) sharing one Redis stay apart. */
  readonly redisPrefix: string;
  /** Undefined in development until `resolveJwtSecret` has read or generated the one kept in `dataDir`. */
  readonly jwtSecret: string | undefined;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly admin: { readonly email: string; readonly password: string } | undefined;
  readonly pusher: PusherConfig;
  readonly logLevel: string;
  /** When set, `GET /metrics` requires `Authorization: Bearer <token>`; unset, it is public. */
  readonly metricsToken: string | undefined;
  /** Apollo's sandbox on `/graphql`, introspection and `/graphiql`. */
  readonly sandbox: boolean;
  /** The legacy `/test/listen` page. */
  readonly listenPage: boolean;
}

export interface PusherConfig {
  readonly appId: string;
  readonly key: string;
  readonly secret: string;
  /** True when neither PUSHER_HOST nor PUSHER_CLUSTER names an outside service: the server's own endpoint serves. */
  readonly builtIn: boolean;
  /** The outside Pusher-compatible service's host, when one is used. */
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly useTLS: boolean;
  readonly cluster: string | undefined;
}

/** Thrown with every problem found at once, so an operator fixes the environment in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const DEV_ADMIN = { email: 'admin@email.com', password: '12345678' };
const DEV_PUSHER = { appId: 'app-id', key: 'app-key', secret: 'app-secret' };
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  string(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
    this.problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  }

  url(name: string, protocols: string[]): string | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) {
        this.problems.push(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
      }
    } catch {
      this.problems.push(`${name} is not a valid URL`);
    }
    return raw;
  }
}

/** Reads and validates the environment once; throws a ConfigError naming every bad or missing variable. */
export function loadConfig(env: Env = process.env): Config {
  const read = new Reader(env);
  const nodeEnv = read.string('NODE_ENV') ?? 'development';
  if (!['development', 'production', 'test'].includes(nodeEnv)) {
    read.problems.push(`NODE_ENV must be development, production or test (got "${nodeEnv}")`);
  }
  const isProduction = nodeEnv === 'production';

  const jwtSecret = read.string('JWT_SECRET');
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    read.problems.push('JWT_SECRET must be at least 32 characters long');
  }
  if (isProduction && jwtSecret === undefined) read.problems.push('JWT_SECRET is required in production');
  const metricsToken = read.string('METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16) {
    read.problems.push('METRICS_TOKEN must be at least 16 characters long');
  }

  const adminEmail = read.string('ADMIN_EMAIL');
  const adminPassword = read.string('ADMIN_PASSWORD');
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    read.problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  if (adminPassword !== undefined && adminPassword.length < 8) {
    read.problems.push('ADMIN_PASSWORD must be at least 8 characters long');
  }
  if (isProduction && adminPassword === DEV_ADMIN.password) {
    read.problems.push('ADMIN_PASSWORD must not be the well-known development password in production');
  }
  const admin =
    adminEmail !== undefined && adminPassword !== undefined
      ? { email: adminEmail.toLowerCase(), password: adminPassword }
      : isProduction
        ? undefined
        : DEV_ADMIN;

  const pusherAppId = read.string('PUSHER_APP_ID');
  const pusherKey = read.string('PUSHER_APP_KEY');
  const pusherSecret = read.string('PUSHER_APP_SECRET');
  const pusherHost = read.string('PUSHER_HOST');
  const pusherCluster = read.string('PUSHER_CLUSTER');
  const outsidePusher = pusherHost !== undefined || pusherCluster !== undefined;
  if (outsidePusher || isProduction) {
    for (const [name, value] of [
      ['PUSHER_APP_ID', pusherAppId],
      ['PUSHER_APP_KEY', pusherKey],
      ['PUSHER_APP_SECRET', pusherSecret],
    ] as const) {
      if (value === undefined) {
        read.problems.push(
          `${name} is required ${outsidePusher ? 'when PUSHER_HOST or PUSHER_CLUSTER is set' : 'in production'}`,
        );
      }
    }
  }
  const pusherPort =
    read.string('PUSHER_PORT') === undefined ? undefined : read.integer('PUSHER_PORT', 0, 1, 65535);

  const logLevel = read.string('LOG_LEVEL') ?? (nodeEnv === 'test' ? 'warn' : 'info');
  if (!LOG_LEVELS.includes(logLevel)) read.problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  const config: Config = {
    env: nodeEnv as Config['env'],
    isProduction,
    port: read.integer('PORT', 4000, 0, 65535),
    host: read.string('HOST') ?? '0.0.0.0',
    databaseUrl: read.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: path.resolve(read.string('DATA_DIR') ?? './data'),
    redisUrl: read.url('REDIS_URL', ['redis:', 'rediss:']),
    redisPrefix: read.string('REDIS_PREFIX') ?? 'jobwarehouse:',
    jwtSecret,
    accessTokenTtlSeconds: read.integer('ACCESS_TOKEN_TTL', 900, 10, 86400),
    refreshTokenTtlSeconds: read.integer('REFRESH_TOKEN_TTL', 30 * 86400, 60, 365 * 86400),
    admin,
    pusher: {
      appId: pusherAppId ?? DEV_PUSHER.appId,
      key: pusherKey ?? DEV_PUSHER.key,
      secret: pusherSecret ?? DEV_PUSHER.secret,
      builtIn: !outsidePusher,
      host: pusherHost,
      port: pusherPort,
      useTLS: read.boolean('PUSHER_USE_TLS', pusherHost === undefined && pusherCluster !== undefined),
      cluster: pusherCluster,
    },
    logLevel,
    metricsToken,
    sandbox: read.boolean('GRAPHQL_SANDBOX', !isProduction),
    listenPage: read.boolean('LISTEN_PAGE', !isProduction),
  };
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return Object.freeze(config);
}
