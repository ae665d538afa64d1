import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/config';
import { openDatabase, runMigrations } from '../../src/database/database';
import { LARAVEL_HASH } from '../fixtures/legacy';
import { ADMIN, LOGIN } from '../fixtures/users';
import { resetDatabase, startTestServer, type TestServer } from '../support/test-server';

let phone = 0;
/** Writes a user row as the import brings it over: the legacy hash, the legacy timestamps. */
async function insertLegacyUser(
  dataSource: DataSource,
  email: string,
  hash: string,
  extra: { role?: string; status?: string } = {},
): Promise<number> {
  phone += 1;
  const [row] = (await dataSource.query(
    `INSERT INTO users (email, password, name, phonenumber, address, role, status, image_link, created_at, updated_at)
     VALUES ($1, $2, 'Nguyễn Văn A', $3, 'Hà Nội', $4, $5, NULL, '2021-12-11 13:30:17+00', '2021-12-11 13:30:17+00')
     RETURNING user_id`,
    [email, hash, `09${String(phone).padStart(8, '0')}`, extra.role ?? 'jobseeker', extra.status ?? 'active'],
  )) as { user_id: number }[];
  return row.user_id;
}

async function storedUser(
  dataSource: DataSource,
  id: number,
): Promise<{ password: string; updated_at: Date }> {
  const [row] = (await dataSource.query('SELECT password, updated_at FROM users WHERE user_id = $1', [
    id,
  ])) as {
    password: string;
    updated_at: Date;
  }[];
  return row;
}

describe('legacy bcrypt passwords', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.close();
  });

  const cases: [string, () => Promise<{ password: string; hash: string }>][] = [
    ['PHP $2y$, cost 10 (Laravel)', () => Promise.resolve(LARAVEL_HASH)],
    ['$2b$, cost 4', async () => ({ password: 'mật khẩu 🔑', hash: await bcrypt.hash('mật khẩu 🔑', 4) })],
    ['$2b$, cost 11', async () => ({ password: 'secret-11', hash: await bcrypt.hash('secret-11', 11) })],
    [
      '$2a$, cost 6',
      async () => {
        // $2a$ and $2b$ differ only for passwords of 255 bytes or more, so this is a real $2a$ hash.
        const hash = (await bcrypt.hash('secret-2a', 6)).replace(/^\$2b\$/, '$2a$');
        return { password: 'secret-2a', hash };
      },
    ],
  ];

  it.each(cases)(
    '%s: logs in with the old password and the stored hash becomes argon2id',
    async (_, make) => {
      const { password, hash } = await make();
      const email = `legacy-${phone + 1}@example.com`;
      const id = await insertLegacyUser(t.server.database.dataSource, email, hash);
      const before = await storedUser(t.server.database.dataSource, id);

      const { login } = await t.client.ok<{ login: { user: { id: string } } }>(LOGIN, { email, password });
      expect(login.user.id).toBe(String(id));
      const after = await storedUser(t.server.database.dataSource, id);
      expect(after.password).toMatch(/^\$argon2id\$/);
      // A new hash of the same password is not a profile change.
      expect(after.updated_at).toEqual(before.updated_at);

      // The argon2id hash now answers for the same password, and only for it.
      await t.client.ok(LOGIN, { email, password });
      const wrong = await t.client.fails(LOGIN, { email, password: `${password}!` });
      expect(wrong.message).toBe('Invalid email or password.');
    },
  );

  it('refuses a wrong password for a bcrypt hash exactly like any wrong password, and keeps the hash', async () => {
    const email = 'legacy-wrong@example.com';
    const id = await insertLegacyUser(t.server.database.dataSource, email, LARAVEL_HASH.hash);
    const legacy = await t.client.fails(LOGIN, { email, password: 'not-the-password' });
    const unknown = await t.client.fails(LOGIN, {
      email: 'nobody@example.com',
      password: 'not-the-password',
    });
    expect(legacy).toMatchObject({
      message: 'Invalid email or password.',
      extensions: { code: 'UNAUTHENTICATED' },
    });
    expect(unknown).toMatchObject({ message: legacy.message, extensions: legacy.extensions });
    expect((await storedUser(t.server.database.dataSource, id)).password).toBe(LARAVEL_HASH.hash);
  });

  it('tells a banned legacy user so after the right password, and upgrades nothing', async () => {
    const email = 'legacy-banned@example.com';
    const id = await insertLegacyUser(t.server.database.dataSource, email, LARAVEL_HASH.hash, {
      status: 'banned',
    });
    const error = await t.client.fails(LOGIN, { email, password: LARAVEL_HASH.password });
    expect(error.extensions?.code).toBe('FORBIDDEN');
    expect((await storedUser(t.server.database.dataSource, id)).password).toBe(LARAVEL_HASH.hash);
  });

  it('accepts a bcrypt hash as the current password of changePassword', async () => {
    const email = 'legacy-change@example.com';
    await insertLegacyUser(t.server.database.dataSource, email, await bcrypt.hash('old-password', 4));
    // Logging in already upgrades the hash; the row is set back to bcrypt to check changePassword itself.
    const { login } = await t.client.ok<{ login: { accessToken: string; user: { id: string } } }>(LOGIN, {
      email,
      password: 'old-password',
    });
    await t.server.database.dataSource.query('UPDATE users SET password = $1 WHERE user_id = $2', [
      await bcrypt.hash('old-password', 4),
      Number(login.user.id),
    ]);
    await t.client.ok(
      'mutation { changePassword(currentPassword: "old-password", newPassword: "new-password-1") }',
      {},
      login.accessToken,
    );
    await t.client.ok(LOGIN, { email, password: 'new-password-1' });
  });
});

describe('an admin brought over from the legacy database', () => {
  const production = {
    NODE_ENV: 'production',
    PUSHER_APP_ID: 'id',
    PUSHER_APP_KEY: 'key',
    PUSHER_APP_SECRET: 'a-production-pusher-secret-of-32-chars',
    ADMIN_EMAIL: undefined,
    ADMIN_PASSWORD: undefined,
  };
  let dataDir: string;

  /** A migrated database holding only a legacy admin, as after `import:legacy` and before the first start. */
  async function databaseWithLegacyAdmin(): Promise<void> {
    if (process.env.DATABASE_URL) await resetDatabase(process.env.DATABASE_URL);
    const config = loadConfig({ DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: dataDir });
    const database = await openDatabase(config);
    try {
      await runMigrations(database);
      await insertLegacyUser(database.dataSource, 'boss@legacy.example', LARAVEL_HASH.hash, {
        role: 'admin',
      });
    } finally {
      await database.close();
    }
  }

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-legacy-admin-'));
    await databaseWithLegacyAdmin();
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it.each([
    ['production, without ADMIN_EMAIL and ADMIN_PASSWORD', production],
    ['development', {}],
  ])('is the first admin in %s: no other admin is created', async (_, env) => {
    const t = await startTestServer({ env, dataDir, keepDatabase: true });
    try {
      const { login } = await t.client.ok<{ login: { user: { role: string } } }>(LOGIN, {
        email: 'boss@legacy.example',
        password: LARAVEL_HASH.password,
      });
      expect(login.user.role).toBe('ADMIN');
      expect((await t.client.fails(LOGIN, ADMIN)).extensions?.code).toBe('UNAUTHENTICATED');
      const [{ admins }] = (await t.server.database.dataSource.query(
        `SELECT count(*)::int AS admins FROM users WHERE role = 'admin'`,
      )) as { admins: number }[];
      expect(admins).toBe(1);
    } finally {
      await t.close();
    }
  });
});
