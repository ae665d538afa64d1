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
      admin: { email: 'admin@email.com', password: '12345678' },
      pusher: { builtIn: true, host: undefined, appId: 'app-id', key: 'app-key', secret: 'app-secret' },
    });
    expect(config.dataDir).toMatch(/data$/);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reports every bad value at once, each by name', () => {
    const found = problems({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://localhost/x',
      REDIS_URL: 'not a url',
      JWT_SECRET: 'short',
      PUSHER_USE_TLS: 'maybe',
      METRICS_TOKEN: 'short',
    });
    expect(found).toHaveLength(6);
    for (const name of [
      'PORT',
      'DATABASE_URL',
      'REDIS_URL',
      'JWT_SECRET',
      'PUSHER_USE_TLS',
      'METRICS_TOKEN',
    ]) {
      expect(found.some((p) => p.startsWith(name))).toBe(true);
    }
  });

  it('requires a JWT secret and Pusher credentials in production, and refuses the development admin password', () => {
    const found = problems({ NODE_ENV: 'production', ADMIN_EMAIL: 'a@b.co', ADMIN_PASSWORD: '12345678' });
    expect(found).toEqual(
      expect.arrayContaining([
        'JWT_SECRET is required in production',
        'PUSHER_APP_ID is required in production',
        'ADMIN_PASSWORD must not be the well-known development password in production',
      ]),
    );
  });

  it('has no default admin in production', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(40),
      PUSHER_APP_ID: 'i',
      PUSHER_APP_KEY: 'k',
      PUSHER_APP_SECRET: 's',
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
});
