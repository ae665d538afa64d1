import { ConfigError, loadConfig } from '../../src/config/config';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('runs in development with no settings at all', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 4000,
      databaseUrl: undefined,
      redisUrl: undefined,
      redisPrefix: 'jobwarehouse:',
      metricsToken: undefined,
      metrics: { port: undefined, host: '127.0.0.1', operationNameMaxLength: 64, maxOperations: 200 },
      admin: { email: 'admin@email.com', password: '12345678' },
      pusher: { builtIn: true, host: undefined, appId: 'app-id', key: 'app-key', secret: 'app-secret' },
      graphqlLimits: { maxAliases: 30, maxRootFields: 20, maxDepth: 10, maxCost: 5000 },
      throttles: {
        loginPerAccount: { points: 10, durationSeconds: 900 },
        loginPerAccountIp: { points: 5, durationSeconds: 900 },
        loginPerIp: { points: 100, durationSeconds: 900 },
        registerPerIp: { points: 10, durationSeconds: 3600 },
        refreshTokenPerIp: { points: 300, durationSeconds: 900 },
        changePasswordPerUser: { points: 5, durationSeconds: 900 },
        updateProfilePerUser: { points: 20, durationSeconds: 3600 },
        sendMessagePerUser: { points: 600, durationSeconds: 60 },
        sendMessagePerPair: { points: 1000, durationSeconds: 3600 },
        typingPerUser: { points: 600, durationSeconds: 60 },
        broadcastingAuthPerIp: { points: 300, durationSeconds: 60 },
        legacyApiPerIp: { points: 60, durationSeconds: 60 },
      },
      legacyTokenTtlSeconds: 604800,
      trustProxy: false,
      sockets: {
        pusherMaxPayloadBytes: 102400,
        graphqlWsMaxPayloadBytes: 1048576,
        maxChannelNameLength: 200,
        pusherMaxChannels: 100,
        graphqlWsMaxSubscriptions: 100,
        graphqlWsMaxQueuedEvents: 500,
        maxConnectionsPerIp: 100,
        maxUnauthenticatedPerIp: 20,
        maxConnections: 20000,
        activityTimeoutSeconds: 120,
        pongTimeoutSeconds: 30,
        maxBufferedBytes: 1048576,
      },
      sessionMaxAgeSeconds: 2592000,
      sessionRecheckSeconds: 30,
      outbox: { maxAttempts: 10, retentionHours: 72 },
      presence: { heartbeatSeconds: 5, ttlSeconds: 15 },
    });
    expect(config.dataDir).toMatch(/data$/);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names each bad socket and session setting', () => {
    const names = [
      'PUSHER_MAX_PAYLOAD',
      'GRAPHQL_WS_MAX_PAYLOAD',
      'CHANNEL_NAME_MAX_LENGTH',
      'PUSHER_MAX_CHANNELS',
      'GRAPHQL_WS_MAX_SUBSCRIPTIONS',
      'GRAPHQL_WS_MAX_QUEUED_EVENTS',
      'SOCKET_MAX_CONNECTIONS_PER_IP',
      'SOCKET_MAX_UNAUTHENTICATED_PER_IP',
      'SOCKET_MAX_CONNECTIONS',
      'SOCKET_ACTIVITY_TIMEOUT',
      'SOCKET_PONG_TIMEOUT',
      'SOCKET_MAX_BUFFERED_BYTES',
      'SESSION_MAX_AGE',
      'SESSION_RECHECK_INTERVAL',
    ];
    const found = problems(Object.fromEntries(names.map((name) => [name, '-1'])));
    expect(found).toHaveLength(names.length);
    for (const name of names) expect(found.some((p) => p.startsWith(name))).toBe(true);
  });

  it('reports every bad value at once, each by name', () => {
    const found = problems({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://localhost/x',
      REDIS_URL: 'not a url',
      JWT_SECRET: 'short',
      PUSHER_USE_TLS: 'maybe',
      GRAPHQL_MAX_DEPTH: '0',
      METRICS_TOKEN: 'short',
    });
    expect(found).toHaveLength(7);
    for (const name of [
      'PORT',
      'DATABASE_URL',
      'REDIS_URL',
      'JWT_SECRET',
      'PUSHER_USE_TLS',
      'GRAPHQL_MAX_DEPTH',
      'METRICS_TOKEN',
    ]) {
      expect(found.some((p) => p.startsWith(name))).toBe(true);
    }
  });

  it('reads where /metrics is served and how its operation label is bounded, and names each bad value', () => {
    expect(
      loadConfig({
        METRICS_PORT: '9100',
        METRICS_HOST: '0.0.0.0',
        METRICS_OPERATION_NAME_MAX_LENGTH: '20',
        METRICS_MAX_OPERATIONS: '5',
      }).metrics,
    ).toEqual({ port: 9100, host: '0.0.0.0', operationNameMaxLength: 20, maxOperations: 5 });
    const names = ['METRICS_PORT', 'METRICS_OPERATION_NAME_MAX_LENGTH', 'METRICS_MAX_OPERATIONS'];
    const found = problems(Object.fromEntries(names.map((name) => [name, '-1'])));
    expect(found).toHaveLength(names.length);
    for (const name of names) expect(found.some((p) => p.startsWith(name))).toBe(true);
  });

  it('refuses presence settings out of range, and an expiry no longer than the heartbeat interval', () => {
    const found = problems({ PRESENCE_HEARTBEAT_INTERVAL: '0', PRESENCE_TTL: 'soon' });
    expect(found).toHaveLength(2);
    expect(found.some((p) => p.startsWith('PRESENCE_HEARTBEAT_INTERVAL'))).toBe(true);
    expect(found.some((p) => p.startsWith('PRESENCE_TTL'))).toBe(true);
    expect(problems({ PRESENCE_HEARTBEAT_INTERVAL: '10', PRESENCE_TTL: '10' })).toEqual([
      'PRESENCE_TTL (10) must be longer than PRESENCE_HEARTBEAT_INTERVAL (10)',
    ]);
    expect(problems({ PRESENCE_HEARTBEAT_INTERVAL: '1', PRESENCE_TTL: '3' })).toEqual([]);
  });

  it('refuses an outbox attempt limit below one and a negative retention, by name', () => {
    const found = problems({ OUTBOX_MAX_ATTEMPTS: '0', OUTBOX_RETENTION_HOURS: '-1' });
    expect(found).toHaveLength(2);
    expect(found.some((p) => p.startsWith('OUTBOX_MAX_ATTEMPTS'))).toBe(true);
    expect(found.some((p) => p.startsWith('OUTBOX_RETENTION_HOURS'))).toBe(true);
  });

  it('reads the event retention from EVENT_RETENTION_HOURS, falling back to its old name, and refuses a bad one', () => {
    expect(loadConfig({ NODE_ENV: 'test', EVENT_RETENTION_HOURS: '5' }).outbox.retentionHours).toBe(5);
    expect(loadConfig({ NODE_ENV: 'test', OUTBOX_RETENTION_HOURS: '7' }).outbox.retentionHours).toBe(7);
    expect(
      loadConfig({ NODE_ENV: 'test', EVENT_RETENTION_HOURS: '5', OUTBOX_RETENTION_HOURS: '7' }).outbox
        .retentionHours,
    ).toBe(5);
    for (const value of ['-1', 'soon', '1.5', '9000']) {
      const found = problems({ EVENT_RETENTION_HOURS: value });
      expect(found).toEqual([expect.stringMatching(/^EVENT_RETENTION_HOURS must be a whole number/)]);
    }
  });

  it('requires a JWT secret and Pusher credentials in production, and refuses the development admin password', () => {
    const found = problems({ NODE_ENV: 'production', ADMIN_EMAIL: 'a@b.co', ADMIN_PASSWORD: '12345678' });
    expect(found).toEqual(
      expect.arrayContaining([
        'JWT_SECRET is required in production',
        'PUSHER_APP_ID is required in production',
        'ADMIN_PASSWORD must not be the well-known development default in production',
      ]),
    );
  });

  it('has no default admin in production', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(40),
      PUSHER_APP_ID: 'i',
      PUSHER_APP_KEY: 'k',
      PUSHER_APP_SECRET: 's'.repeat(32),
    });
    expect(config.admin).toBeUndefined();
  });

  it('needs Pusher credentials when an outside service is named', () => {
    expect(problems({ PUSHER_HOST: 'soketi.internal' })).toEqual(
      expect.arrayContaining(['PUSHER_APP_KEY is required when PUSHER_HOST or PUSHER_CLUSTER is set']),
    );
  });

  it('needs ADMIN_EMAIL and ADMIN_PASSWORD together', () => {
    expect(problems({ ADMIN_EMAIL: 'a@b.co' })).toEqual([
      'ADMIN_EMAIL and ADMIN_PASSWORD must be set together',
    ]);
  });

  it('refuses the development Pusher secret and admin password in production, naming each', () => {
    const found = problems({
      NODE_ENV: 'production',
      JWT_SECRET: 'j'.repeat(32),
      ADMIN_EMAIL: 'a@b.co',
      ADMIN_PASSWORD: '12345678',
      PUSHER_APP_ID: 'i',
      PUSHER_APP_KEY: 'k',
      PUSHER_APP_SECRET: 'app-secret',
    });
    expect(found).toEqual([
      'ADMIN_PASSWORD must not be the well-known development default in production',
      'PUSHER_APP_SECRET must not be the well-known development default in production',
    ]);
  });

  it('refuses secrets shorter than 32 characters in production, naming each', () => {
    const found = problems({
      NODE_ENV: 'production',
      JWT_SECRET: 'j'.repeat(31),
      ADMIN_EMAIL: 'a@b.co',
      ADMIN_PASSWORD: 'p'.repeat(31),
      PUSHER_APP_ID: 'i',
      PUSHER_APP_KEY: 'k',
      PUSHER_APP_SECRET: 's'.repeat(31),
    });
    expect(found).toEqual([
      'JWT_SECRET must be at least 32 characters long',
      'ADMIN_PASSWORD must be at least 32 characters long in production',
      'PUSHER_APP_SECRET must be at least 32 characters long in production',
    ]);
  });

  it('refuses a JWT_SECRET equal to PUSHER_APP_SECRET in production', () => {
    const found = problems({
      NODE_ENV: 'production',
      JWT_SECRET: 's'.repeat(32),
      ADMIN_EMAIL: 'a@b.co',
      ADMIN_PASSWORD: 'p'.repeat(32),
      PUSHER_APP_ID: 'i',
      PUSHER_APP_KEY: 'k',
      PUSHER_APP_SECRET: 's'.repeat(32),
    });
    expect(found).toEqual(['JWT_SECRET and PUSHER_APP_SECRET must differ in production']);
  });

  it('accepts 32-character secrets in production', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: 'j'.repeat(32),
      ADMIN_EMAIL: 'a@b.co',
      ADMIN_PASSWORD: 'p'.repeat(32),
      PUSHER_APP_ID: 'i',
      PUSHER_APP_KEY: 'k',
      PUSHER_APP_SECRET: 's'.repeat(32),
    });
    expect(config.pusher.secret).toBe('s'.repeat(32));
  });

  it('keeps the development defaults outside production', () => {
    expect(
      problems({ ADMIN_EMAIL: 'a@b.co', ADMIN_PASSWORD: '12345678', PUSHER_APP_SECRET: 'app-secret' }),
    ).toEqual([]);
  });

  it('reads throttles as <attempts>/<seconds> and TRUST_PROXY as express takes it', () => {
    const config = loadConfig({ THROTTLE_LOGIN_PER_ACCOUNT: '3/60', TRUST_PROXY: 'loopback, 10.0.0.0/8' });
    expect(config.throttles.loginPerAccount).toEqual({ points: 3, durationSeconds: 60 });
    expect(config.trustProxy).toBe('loopback, 10.0.0.0/8');
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
  });

  it('reads the legacy API throttle and token lifetime, and names them when bad', () => {
    const config = loadConfig({ THROTTLE_LEGACY_API_PER_IP: '5/10', LEGACY_TOKEN_TTL: '3600' });
    expect(config.throttles.legacyApiPerIp).toEqual({ points: 5, durationSeconds: 10 });
    expect(config.legacyTokenTtlSeconds).toBe(3600);
    const bad = problems({ THROTTLE_LEGACY_API_PER_IP: '60', LEGACY_TOKEN_TTL: 'a week' });
    expect(bad).toEqual([
      expect.stringContaining('LEGACY_TOKEN_TTL'),
      expect.stringContaining('THROTTLE_LEGACY_API_PER_IP'),
    ]);
  });

  it('reads the throttles of logins per account and address, profiles, messages and typing, naming each bad one', () => {
    const names = {
      THROTTLE_LOGIN_PER_ACCOUNT_IP: 'loginPerAccountIp',
      THROTTLE_UPDATE_PROFILE_PER_USER: 'updateProfilePerUser',
      THROTTLE_SEND_MESSAGE_PER_USER: 'sendMessagePerUser',
      THROTTLE_SEND_MESSAGE_PER_PAIR: 'sendMessagePerPair',
      THROTTLE_TYPING_PER_USER: 'typingPerUser',
    } as const;
    const config = loadConfig(Object.fromEntries(Object.keys(names).map((name) => [name, '7/30'])));
    for (const key of Object.values(names)) {
      expect(config.throttles[key]).toEqual({ points: 7, durationSeconds: 30 });
    }
    const found = problems(Object.fromEntries(Object.keys(names).map((name) => [name, '0/30'])));
    expect(found).toHaveLength(5);
    for (const name of Object.keys(names)) expect(found.some((p) => p.startsWith(name))).toBe(true);
  });
});
