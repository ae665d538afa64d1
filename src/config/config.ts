import path from 'node:path';
import type { ThrottleLimit, ThrottleLimits } from '../http/throttles';

/** The validated settings of one server process; see `.env.example` for each variable. */
export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly isProduction: boolean;
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string | undefined;
  /** Limits on each statement of the pool (not migrations), so no request holds a connection for long. */
  readonly databaseTimeouts: DatabaseTimeouts;
  readonly dataDir: string;
  readonly redisUrl: string | undefined;
  /** Prefixes every Redis channel and key, so deployments (or test runs) sharing one Redis stay apart. */
  readonly redisPrefix: string;
  /** Undefined in development until `resolveJwtSecret` has read or generated the one kept in `dataDir`. */
  readonly jwtSecret: string | undefined;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  /** The access token lifetime of the legacy `/api/auth/login` and `refresh`, as tymon's `ttl` gave old apps. */
  readonly legacyTokenTtlSeconds: number;
  readonly admin: { readonly email: string; readonly password: string } | undefined;
  readonly pusher: PusherConfig;
  readonly logLevel: string;
  /** When set, `GET /metrics` requires `Authorization: Bearer <token>`; unset, it is public. */
  readonly metricsToken: string | undefined;
  readonly metrics: MetricsSettings;
  /** Apollo's sandbox on `/graphql`, introspection and `/graphiql`. */
  readonly sandbox: boolean;
  /** The legacy `/test/listen` page. */
  readonly listenPage: boolean;
  /** What one GraphQL operation may ask for, over HTTP and WebSocket. */
  readonly graphqlLimits: {
    readonly maxAliases: number;
    readonly maxRootFields: number;
    readonly maxDepth: number;
    readonly maxCost: number;
  };
  /**
   * Attempts allowed per window: logins (failures only), register, refreshToken, changePassword, updateProfile,
   * sendMessage, typing, /broadcasting/auth and every legacy `/api` request.
   */
  readonly throttles: ThrottleLimits;
  /** Express's `trust proxy`: which proxies' X-Forwarded-For names the client IP; false trusts none. */
  readonly trustProxy: boolean | number | string;
  readonly sockets: SocketLimits;
  /** A session older than this is refused, however fresh its tokens. */
  readonly sessionMaxAgeSeconds: number;
  /** How often the sessions holding sockets on this instance are re-checked, in case a revocation notice was lost. */
  readonly sessionRecheckSeconds: number;
  /**
   * How long a session read by `authenticate` may be answered from memory, in ms (0: always read). Every change
   * of the user or their sessions forgets it at once, on every instance; this bounds a notice lost on the way.
   */
  readonly sessionCacheTtlMs: number;
  readonly outbox: {
    /** Pusher attempts before an event is set aside as dead, so it no longer holds back later ones. */
    readonly maxAttempts: number;
    /**
     * How long events stay replayable (`realtimeEvents`); delivered rows are pruned after that. A resume whose
     * missed events are older answers CURSOR_EXPIRED.
     */
    readonly retentionHours: number;
  };
  readonly presence: PresenceSettings;
  readonly delivery: DeliverySettings;
}

/** How each instance reads the event log, and how the outside Pusher service is fed from it. */
export interface DeliverySettings {
  /** How often the log is read without a notice: the most a lost notice (Redis, NOTIFY) delays an event. */
  readonly pollMs: number;
  /** Partitions (by recipient id) of the outside Pusher service's feed; every instance must use the same. */
  readonly feedPartitions: number;
  /** How long a feed partition stays its owner's without a renewal: what a frozen owner costs at most. */
  readonly feedLeaseMs: number;
}

/** How an instance keeps its users' presence alive in Redis, so a crashed instance's users go offline. */
export interface PresenceSettings {
  /** Seconds between the heartbeats that keep this instance's users online, and between sweeps for dead ones. */
  readonly heartbeatSeconds: number;
  /** Seconds without a heartbeat after which an instance counts as dead and its users go offline. */
  readonly ttlSeconds: number;
}

/** Where `/metrics` is served, and how many series one request label may make. */
export interface MetricsSettings {
  /** Its own listener for `/metrics` (then not served on PORT); undefined serves it on PORT. */
  readonly port: number | undefined;
  /** The interface that listener binds to; loopback unless set, so only the machine (or its sidecar) scrapes. */
  readonly host: string;
  /** Operation names are cut to this many characters in the `operation` label. */
  readonly operationNameMaxLength: number;
  /** Distinct operation names labelled; names first seen after that count as `other`. */
  readonly maxOperations: number;
}

/**
 * PostgreSQL's `statement_timeout`, `lock_timeout` and `idle_in_transaction_session_timeout` for the pool's
 * connections, in milliseconds; 0 is none.
 */
export interface DatabaseTimeouts {
  readonly statementMs: number;
  readonly lockMs: number;
  readonly idleTransactionMs: number;
}

/** What one client may hold or send on the WebSocket endpoints. */
export interface SocketLimits {
  readonly pusherMaxPayloadBytes: number;
  readonly graphqlWsMaxPayloadBytes: number;
  readonly maxChannelNameLength: number;
  readonly pusherMaxChannels: number;
  readonly graphqlWsMaxSubscriptions: number;
  /**
   * Events one graphql-ws subscription holds for a client that does not read; past it the socket is closed (1013)
   * and the client reconnects, a resumable subscription resuming where it was.
   */
  readonly graphqlWsMaxQueuedEvents: number;
  /** Open sockets of both kinds per client IP address (the address TRUST_PROXY resolves). */
  readonly maxConnectionsPerIp: number;
  /**
   * Sockets per client address that hold no signed channel yet: a Pusher connection before its first private or
   * presence channel, a graphql-ws socket before its connection_init is accepted. Only the public key is needed to
   * open one, so these get fewer slots than the sockets of logged-in users.
   */
  readonly maxUnauthenticatedPerIp: number;
  /** Open sockets of both kinds on this instance, from all clients together. */
  readonly maxConnections: number;
  /** Pusher's activity timeout, announced in `connection_established`; the graphql-ws ping interval too. */
  readonly activityTimeoutSeconds: number;
  /** How long a ping may go unanswered before the socket is closed. */
  readonly pongTimeoutSeconds: number;
  /** A socket whose unsent data passes this is dropped rather than buffered without bound. */
  readonly maxBufferedBytes: number;
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
  /** Where the built-in endpoint posts Pusher webhooks (PUSHER_WEBHOOK_URL); none when empty. */
  readonly webhookUrls: readonly string[];
  /** Built-in endpoint: whether clients may send `client-…` events (PUSHER_CLIENT_EVENTS). */
  readonly clientEvents: boolean;
  /** Client events one connection may send per second (PUSHER_CLIENT_EVENTS_PER_SECOND). */
  readonly clientEventsPerSecond: number;
  /** How long a cache channel's last event is kept, in seconds (PUSHER_CACHE_TTL). */
  readonly cacheTtlSeconds: number;
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

  /** A rate written `<attempts>/<seconds>`, e.g. `10/900` for ten attempts per 15 minutes. */
  rate(name: string, fallback: ThrottleLimit): ThrottleLimit {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const match = /^(\d{1,9})\/(\d{1,9})$/.exec(raw);
    const points = Number(match?.[1]);
    const durationSeconds = Number(match?.[2]);
    if (!match || points < 1 || durationSeconds < 1) {
      this.problems.push(
        `${name} must be <attempts>/<seconds> with both at least 1, e.g. 10/900 (got "${raw}")`,
      );
      return fallback;
    }
    return { points, durationSeconds };
  }

  /** Express's `trust proxy`: true/false, a number of hops, or addresses and subnets as express reads them. */
  trustProxy(name: string): boolean | number | string {
    const raw = this.string(name);
    if (raw === undefined || ['false', '0', 'no'].includes(raw.toLowerCase())) return false;
    if (['true', 'yes'].includes(raw.toLowerCase())) return true;
    if (/^\d+$/.test(raw)) return Number(raw);
    return raw;
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

  /** A comma-separated list of URLs, each of one of the protocols; empty when unset. */
  urls(name: string, protocols: string[]): string[] {
    const raw = this.string(name);
    if (raw === undefined) return [];
    const urls = raw.split(',').map((url) => url.trim());
    for (const url of urls) {
      try {
        if (!protocols.includes(new URL(url).protocol)) {
          this.problems.push(
            `${name} must list URLs starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
          );
        }
      } catch {
        this.problems.push(`${name} must be a comma-separated list of URLs (got "${url.slice(0, 100)}")`);
      }
    }
    return urls;
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
  if (isProduction) {
    // JWT_SECRET has no fixed development default (one is generated per data folder) and its length is checked above.
    refuseWeakSecrets(read, [
      ['ADMIN_PASSWORD', adminPassword, DEV_ADMIN.password],
      ['PUSHER_APP_SECRET', pusherSecret, DEV_PUSHER.secret],
    ]);
    // The Pusher secret is shared with the Pusher service (or soketi): were it the JWT secret, they could mint tokens.
    if (jwtSecret !== undefined && jwtSecret === pusherSecret) {
      read.problems.push('JWT_SECRET and PUSHER_APP_SECRET must differ in production');
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
    databaseTimeouts: {
      statementMs: read.integer('DATABASE_STATEMENT_TIMEOUT', 5000, 0, 3_600_000),
      lockMs: read.integer('DATABASE_LOCK_TIMEOUT', 2000, 0, 3_600_000),
      idleTransactionMs: read.integer('DATABASE_IDLE_TRANSACTION_TIMEOUT', 5000, 0, 3_600_000),
    },
    dataDir: path.resolve(read.string('DATA_DIR') ?? './data'),
    redisUrl: read.url('REDIS_URL', ['redis:', 'rediss:']),
    redisPrefix: read.string('REDIS_PREFIX') ?? 'jobwarehouse:',
    jwtSecret,
    accessTokenTtlSeconds: read.integer('ACCESS_TOKEN_TTL', 900, 10, 86400),
    refreshTokenTtlSeconds: read.integer('REFRESH_TOKEN_TTL', 30 * 86400, 60, 365 * 86400),
    legacyTokenTtlSeconds: read.integer('LEGACY_TOKEN_TTL', 7 * 86400, 60, 365 * 86400),
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
      webhookUrls: read.urls('PUSHER_WEBHOOK_URL', ['http:', 'https:']),
      clientEvents: read.boolean('PUSHER_CLIENT_EVENTS', true),
      clientEventsPerSecond: read.integer('PUSHER_CLIENT_EVENTS_PER_SECOND', 10, 1, 10000),
      cacheTtlSeconds: read.integer('PUSHER_CACHE_TTL', 1800, 1, 7 * 86400),
    },
    logLevel,
    metricsToken,
    metrics: {
      port: read.string('METRICS_PORT') === undefined ? undefined : read.integer('METRICS_PORT', 0, 0, 65535),
      host: read.string('METRICS_HOST') ?? '127.0.0.1',
      operationNameMaxLength: read.integer('METRICS_OPERATION_NAME_MAX_LENGTH', 64, 1, 1000),
      maxOperations: read.integer('METRICS_MAX_OPERATIONS', 200, 1, 100000),
    },
    sandbox: read.boolean('GRAPHQL_SANDBOX', !isProduction),
    listenPage: read.boolean('LISTEN_PAGE', !isProduction),
    graphqlLimits: {
      maxAliases: read.integer('GRAPHQL_MAX_ALIASES', 30, 0, 10000),
      maxRootFields: read.integer('GRAPHQL_MAX_ROOT_FIELDS', 20, 1, 10000),
      maxDepth: read.integer('GRAPHQL_MAX_DEPTH', 10, 1, 1000),
      maxCost: read.integer('GRAPHQL_MAX_COST', 5000, 1, 10_000_000),
    },
    throttles: {
      loginPerAccount: read.rate('THROTTLE_LOGIN_PER_ACCOUNT', { points: 10, durationSeconds: 900 }),
      loginPerAccountIp: read.rate('THROTTLE_LOGIN_PER_ACCOUNT_IP', { points: 5, durationSeconds: 900 }),
      loginPerIp: read.rate('THROTTLE_LOGIN_PER_IP', { points: 100, durationSeconds: 900 }),
      registerPerIp: read.rate('THROTTLE_REGISTER_PER_IP', { points: 10, durationSeconds: 3600 }),
      refreshTokenPerIp: read.rate('THROTTLE_REFRESH_TOKEN_PER_IP', { points: 300, durationSeconds: 900 }),
      changePasswordPerUser: read.rate('THROTTLE_CHANGE_PASSWORD_PER_USER', {
        points: 5,
        durationSeconds: 900,
      }),
      updateProfilePerUser: read.rate('THROTTLE_UPDATE_PROFILE_PER_USER', {
        points: 20,
        durationSeconds: 3600,
      }),
      // About ten messages a second per sender, and a thousand an hour to one receiver: more than a real chat sends.
      sendMessagePerUser: read.rate('THROTTLE_SEND_MESSAGE_PER_USER', { points: 600, durationSeconds: 60 }),
      sendMessagePerPair: read.rate('THROTTLE_SEND_MESSAGE_PER_PAIR', {
        points: 1000,
        durationSeconds: 3600,
      }),
      // A call per keystroke of a fast typist.
      typingPerUser: read.rate('THROTTLE_TYPING_PER_USER', { points: 600, durationSeconds: 60 }),
      broadcastingAuthPerIp: read.rate('THROTTLE_BROADCASTING_AUTH_PER_IP', {
        points: 300,
        durationSeconds: 60,
      }),
      // Laravel's `throttle:api`, which the legacy routes sat behind.
      legacyApiPerIp: read.rate('THROTTLE_LEGACY_API_PER_IP', { points: 60, durationSeconds: 60 }),
    },
    trustProxy: read.trustProxy('TRUST_PROXY'),
    sockets: {
      pusherMaxPayloadBytes: read.integer('PUSHER_MAX_PAYLOAD', 100 * 1024, 1024, 100 * 1024 * 1024),
      graphqlWsMaxPayloadBytes: read.integer('GRAPHQL_WS_MAX_PAYLOAD', 1024 * 1024, 1024, 100 * 1024 * 1024),
      maxChannelNameLength: read.integer('CHANNEL_NAME_MAX_LENGTH', 200, 1, 10000),
      pusherMaxChannels: read.integer('PUSHER_MAX_CHANNELS', 100, 1, 100000),
      graphqlWsMaxSubscriptions: read.integer('GRAPHQL_WS_MAX_SUBSCRIPTIONS', 100, 1, 100000),
      graphqlWsMaxQueuedEvents: read.integer('GRAPHQL_WS_MAX_QUEUED_EVENTS', 500, 1, 1000000),
      maxConnectionsPerIp: read.integer('SOCKET_MAX_CONNECTIONS_PER_IP', 100, 1, 1000000),
      maxUnauthenticatedPerIp: read.integer('SOCKET_MAX_UNAUTHENTICATED_PER_IP', 20, 1, 1000000),
      maxConnections: read.integer('SOCKET_MAX_CONNECTIONS', 20000, 1, 10000000),
      activityTimeoutSeconds: read.integer('SOCKET_ACTIVITY_TIMEOUT', 120, 1, 3600),
      pongTimeoutSeconds: read.integer('SOCKET_PONG_TIMEOUT', 30, 1, 3600),
      maxBufferedBytes: read.integer('SOCKET_MAX_BUFFERED_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    },
    sessionMaxAgeSeconds: read.integer('SESSION_MAX_AGE', 30 * 86400, 60, 10 * 365 * 86400),
    sessionRecheckSeconds: read.integer('SESSION_RECHECK_INTERVAL', 30, 1, 3600),
    sessionCacheTtlMs: read.integer('SESSION_CACHE_TTL_MS', 1000, 0, 1000),
    outbox: {
      maxAttempts: read.integer('OUTBOX_MAX_ATTEMPTS', 10, 1, 1000),
      // OUTBOX_RETENTION_HOURS is the setting's name before events became replayable; it is still read.
      retentionHours: read.integer(
        'EVENT_RETENTION_HOURS',
        read.integer('OUTBOX_RETENTION_HOURS', 72, 0, 24 * 365),
        0,
        24 * 365,
      ),
    },
    presence: readPresence(read),
    delivery: {
      pollMs: read.integer('EVENT_POLL_INTERVAL_MS', 1000, 10, 60_000),
      feedPartitions: read.integer('PUSHER_FEED_PARTITIONS', 12, 1, 1024),
      feedLeaseMs: read.integer('PUSHER_FEED_LEASE_MS', 5000, 1000, 600_000),
    },
  };
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return Object.freeze(config);
}

/**
 * The defaults put a crashed instance's users offline within 20 s (expiry plus one sweep), inside the 30 s promised.
 * The expiry must outlast a heartbeat interval, or a live instance would count as dead between two beats.
 */
function readPresence(read: Reader): PresenceSettings {
  const heartbeatSeconds = read.integer('PRESENCE_HEARTBEAT_INTERVAL', 5, 1, 3600);
  const ttlSeconds = read.integer('PRESENCE_TTL', 15, 2, 7200);
  if (ttlSeconds <= heartbeatSeconds) {
    read.problems.push(
      `PRESENCE_TTL (${ttlSeconds}) must be longer than PRESENCE_HEARTBEAT_INTERVAL (${heartbeatSeconds})`,
    );
  }
  return { heartbeatSeconds, ttlSeconds };
}

const MIN_PRODUCTION_SECRET_LENGTH = 32;

/**
 * In production a development default lets anyone sign channel auth, push events or log in as admin, and a short
 * secret can be guessed; each one found is named. Missing ones are reported by the checks that require them.
 */
function refuseWeakSecrets(
  read: Reader,
  secrets: [name: string, value: string | undefined, devDefault?: string][],
): void {
  for (const [name, value, devDefault] of secrets) {
    if (value === undefined) continue;
    if (value === devDefault) {
      read.problems.push(`${name} must not be the well-known development default in production`);
    } else if (value.length < MIN_PRODUCTION_SECRET_LENGTH) {
      read.problems.push(
        `${name} must be at least ${MIN_PRODUCTION_SECRET_LENGTH} characters long in production`,
      );
    }
  }
}
