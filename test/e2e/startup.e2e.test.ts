import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ADMIN, createUser, LOGIN } from '../fixtures/users';
import { resetDatabase, startTestServer } from '../support/test-server';

describe('embedded PostgreSQL', () => {
  it('keeps data across a restart on the same DATA_DIR, and generates a JWT secret once', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-restart-'));
    const env = { DATABASE_URL: undefined, JWT_SECRET: undefined };
    try {
      const first = await startTestServer({ dataDir, env });
      expect(first.server.database.embedded).toBe(true);
      const user = await createUser(first.client);
      await first.close();
      const secret = await readFile(path.join(dataDir, 'jwt-secret'), 'utf8');

      const second = await startTestServer({ dataDir, env });
      // The token signed before the restart still verifies: same data, same secret.
      const { me } = await second.client.ok<{ me: { id: string } }>('query { me { id } }', {}, user.token);
      expect(me.id).toBe(user.id);
      await second.client.ok(LOGIN, { email: user.email, password: user.password });
      await second.close();
      expect(await readFile(path.join(dataDir, 'jwt-secret'), 'utf8')).toBe(secret);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('production start', () => {
  const production = {
    NODE_ENV: 'production',
    PUSHER_APP_ID: 'id',
    PUSHER_APP_KEY: 'key',
    PUSHER_APP_SECRET: 'a-production-pusher-secret-of-32-chars',
  };

  beforeEach(async () => {
    if (process.env.DATABASE_URL) await resetDatabase(process.env.DATABASE_URL);
  });

  it('refuses to start on an empty database without ADMIN_EMAIL and ADMIN_PASSWORD', async () => {
    await expect(startTestServer({ env: production })).rejects.toThrow(/ADMIN_EMAIL and ADMIN_PASSWORD/);
  });

  it('creates the first admin from ADMIN_EMAIL and ADMIN_PASSWORD, and not the development one', async () => {
    const t = await startTestServer({
      env: {
        ...production,
        ADMIN_EMAIL: 'Boss@Example.com',
        ADMIN_PASSWORD: 'a-long-production-password-of-32-chars',
      },
    });
    try {
      const { login } = await t.client.ok<{ login: { user: { role: string } } }>(LOGIN, {
        email: 'boss@example.com',
        password: 'a-long-production-password-of-32-chars',
      });
      expect(login.user.role).toBe('ADMIN');
      expect((await t.client.fails(LOGIN, ADMIN)).extensions?.code).toBe('UNAUTHENTICATED');
      // Outside development a refusal carries its code and no stack trace.
      const error = await t.client.fails('query { me { id } }');
      expect(error.extensions).toEqual({ code: 'UNAUTHENTICATED' });
    } finally {
      await t.close();
    }
  });
});
