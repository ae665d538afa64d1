import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { openDatabase } from '../../src/database/database';
import { lockDataDir } from '../../src/process/data-dir-lock';
import { LEGACY_PASSWORDS, seedLegacy } from '../fixtures/legacy';
import { LOGIN } from '../fixtures/users';
import { LegacyDatabase, legacyMysqlAvailable } from '../support/legacy-mysql';
import { ensureBuilt } from '../support/spawned-server';
import { resetDatabase, startTestServer, type TestServer } from '../support/test-server';

const CLI = path.resolve(__dirname, '../../dist/src/legacy-import/main.js');
const ON_POSTGRES = process.env.DATABASE_URL !== undefined;
// Every event the server would deliver passes through these tables.
const EVENTS_SQL =
  'SELECT ((SELECT count(*) FROM event_outbox) + (SELECT count(*) FROM event_outbox_pending))::int AS n';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm run import:legacy -- <args>` as an operator runs it, into DATABASE_URL or the embedded DATA_DIR. */
function runImport(dataDir: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd: os.tmpdir(), // no .env of the checkout
        env: { PATH: process.env.PATH, DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: dataDir },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
    );
  });
}

/** The summary line of one table: read, written, skipped. */
function summary(run: Run, table: string): [number, number, number] {
  const match = new RegExp(`^${table}\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)$`, 'm').exec(run.stdout);
  if (!match) throw new Error(`no summary for ${table} in:\n${run.stdout}\n${run.stderr}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** Runs SQL on the target with no server up (embedded: opens DATA_DIR itself). */
async function targetQuery<T>(dataDir: string, sql: string): Promise<T[]> {
  const database = await openDatabase(
    loadConfig({ DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: dataDir }),
  );
  try {
    return (await database.dataSource.query(sql)) as T[];
  } finally {
    await database.close();
  }
}

/** Whether the target has anything at all: the migrations table exists once anything ran on it. */
async function targetTouched(dataDir: string): Promise<boolean> {
  if (!ON_POSTGRES) return existsSync(path.join(dataDir, 'pgdata'));
  const [row] = await targetQuery<{ exists: boolean }>(
    dataDir,
    "SELECT to_regclass('public.typeorm_migrations') IS NOT NULL AS exists",
  );
  return row.exists;
}

let available = false;
let dataDir: string;
beforeAll(async () => {
  available = await legacyMysqlAvailable();
  ensureBuilt();
});
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-import-'));
  if (ON_POSTGRES) await resetDatabase(process.env.DATABASE_URL as string);
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('a legacy database with users, conversations and notifications', () => {
  let legacy: LegacyDatabase;
  beforeEach(async () => {
    if (!available) return;
    legacy = await LegacyDatabase.create(`import_${process.pid}`);
    await seedLegacy(legacy);
  });
  afterEach(async () => {
    if (available) await legacy.drop();
  });

  it('is imported with its ids, columns and timestamps, bad rows reported, then a delta moves only what changed', async () => {
    if (!available) return;
    const first = await runImport(dataDir, ['--from', legacy.url]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(summary(first, 'users')).toEqual([6, 4, 2]);
    expect(summary(first, 'messages')).toEqual([8, 6, 2]);
    expect(summary(first, 'notifications')).toEqual([6, 4, 2]);
    // Each bad row by table and id, with its reason.
    expect(first.stdout).toContain("skipped users 8: email hoa.nguyen@example.com is already user 2's");
    expect(first.stdout).toMatch(/skipped users 9: status "" is not one of active, banned/);
    expect(first.stdout).toContain('skipped messages 21: sender_id 999 is not an imported user');
    expect(first.stdout).toContain('skipped messages 22: detail contains a NUL character');
    expect(first.stdout).toMatch(/skipped notifications 35: its real-time event would be \d+ bytes/);
    expect(first.stdout).toContain('skipped notifications 36: receiver_id 8 is not an imported user');
    expect(first.stdout).toContain(
      "skipped tables (outside this server's domain): employers, images, job_seeker_recruitment, job_seekers, migrations, recruitments, reviews",
    );

    let t: TestServer = await startTestServer({ dataDir, keepDatabase: true });
    try {
      const db = t.server.database.dataSource;
      // Every column kept, timestamps in UTC as Laravel wrote them, the email as logins look it up.
      expect(
        await db.query(
          `SELECT user_id, email, name, phonenumber, address, role, status, image_link, created_at, updated_at
             FROM users ORDER BY user_id`,
        ),
      ).toEqual([
        expect.objectContaining({ user_id: 1, email: 'admin@email.com', role: 'admin' }),
        {
          user_id: 2,
          email: 'hoa.nguyen@example.com',
          name: 'Nguyễn Thị Hoa',
          phonenumber: '0912345678',
          address: 'Số 1 Đại Cồ Việt, Hai Bà Trưng, Hà Nội',
          role: 'jobseeker',
          status: 'active',
          image_link: 'http://localhost:8000/api/get-image/2',
          created_at: new Date('2021-12-02T09:15:00Z'),
          updated_at: new Date('2021-12-03T10:00:00Z'),
        },
        expect.objectContaining({
          user_id: 3,
          email: 'tran.binh@example.com',
          name: 'Trần Bình 🚀',
          image_link: null,
        }),
        expect.objectContaining({ user_id: 5, status: 'banned' }),
      ]);
      // History is not news: the import wrote no event.
      expect(await db.query(EVENTS_SQL)).toEqual([{ n: 0 }]);

      // The legacy admin is the first admin: no development admin beside it; it logs in with its old password.
      expect(await db.query(`SELECT user_id FROM users WHERE role = 'admin'`)).toEqual([{ user_id: 1 }]);
      await t.client.ok(LOGIN, { email: 'admin@email.com', password: LEGACY_PASSWORDS[1] });

      const { login } = await t.client.ok<{ login: { accessToken: string } }>(LOGIN, {
        email: 'hoa.nguyen@example.com',
        password: LEGACY_PASSWORDS[2],
      });
      const [{ password }] = (await db.query('SELECT password FROM users WHERE user_id = 2')) as {
        password: string;
      }[];
      expect(password).toMatch(/^\$argon2id\$/);
      await t.client.ok(LOGIN, { email: 'TRAN.BINH@example.com', password: LEGACY_PASSWORDS[3] });
      expect(
        (await t.client.fails(LOGIN, { email: 'banned@example.com', password: LEGACY_PASSWORDS[5] }))
          .extensions?.code,
      ).toBe('FORBIDDEN');

      const seen = await t.client.ok<{
        unreadCounts: { unseenMessages: number; unseenConversations: number; unseenNotifications: number };
        conversations: { otherUser: { id: string }; lastMessage: { id: string }; unseenCount: number }[];
        conversation: { id: string; detail: string; status: string; createdAt: string }[];
        notifications: { id: string; title: string; status: string; createdAt: string }[];
      }>(
        `query {
          unreadCounts { unseenMessages unseenConversations unseenNotifications }
          conversations { otherUser { id } lastMessage { id } unseenCount }
          conversation(otherUserId: "3") { id detail status createdAt }
          notifications { id title status createdAt }
        }`,
        {},
        login.accessToken,
      );
      expect(seen.unreadCounts).toEqual({
        unseenMessages: 3,
        unseenConversations: 2,
        unseenNotifications: 1,
      });
      expect(seen.conversations).toEqual([
        { otherUser: { id: '1' }, lastMessage: { id: '23' }, unseenCount: 0 },
        { otherUser: { id: '5' }, lastMessage: { id: '20' }, unseenCount: 1 },
        { otherUser: { id: '3' }, lastMessage: { id: '15' }, unseenCount: 2 },
      ]);
      expect(seen.conversation.filter((m) => m.id !== '15')).toEqual([
        {
          id: '12',
          detail: 'Hẹn phỏng vấn thứ Hai lúc 9 giờ',
          status: 'UNSEEN',
          createdAt: '2021-12-11T13:32:00.000Z',
        },
        {
          id: '11',
          detail: 'Chào em, gửi CV cho anh nhé 📄',
          status: 'UNSEEN',
          createdAt: '2021-12-11T13:31:00.000Z',
        },
        {
          id: '10',
          detail: 'Chào anh, em muốn ứng tuyển vị trí này 😊',
          status: 'SEEN',
          createdAt: '2021-12-11T13:30:17.000Z',
        },
      ]);
      expect(seen.notifications.map((n) => [n.id, n.title, n.status])).toEqual(
        expect.arrayContaining([
          ['30', 'Chào mừng', 'UNSEEN'],
          ['31', 'Hồ sơ', 'SEEN'],
        ]),
      );
      // The counters hold the imported rows, recorded as announced: what was already there is not news.
      expect(
        await db.query(
          'SELECT unseen_messages, unseen_conversations, unseen_notifications FROM unread_counts WHERE user_id = 2',
        ),
      ).toEqual([{ unseen_messages: 3, unseen_conversations: 2, unseen_notifications: 1 }]);
      expect(
        await db.query(
          `SELECT user_id FROM unread_counts
            WHERE (unseen_messages, unseen_conversations, unseen_notifications)
                  IS DISTINCT FROM (announced_messages, announced_conversations, announced_notifications)`,
        ),
      ).toEqual([]);
    } finally {
      await t.close();
    }

    if (!ON_POSTGRES) {
      // A server holding the embedded database: the import is refused and the data is left alone.
      const release = lockDataDir(dataDir);
      try {
        const refused = await runImport(dataDir, ['--from', legacy.url]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/^import:legacy: DATA_DIR .* is in use by process \d+/);
      } finally {
        release();
      }
    }

    // The legacy app goes on meanwhile: a message is read, one is sent, a user edits a profile, another registers.
    await legacy.query(
      "UPDATE messages SET status = 'seen', updated_at = '2021-12-12 09:00:00' WHERE message_id = 11",
    );
    await legacy.insert('messages', [
      {
        message_id: 24,
        detail: 'Anh đã nhận CV 👍',
        status: 'unseen',
        sender_id: 3,
        receiver_id: 2,
        created_at: '2021-12-12 09:05:00',
        updated_at: '2021-12-12 09:05:00',
      },
    ]);
    await legacy.query(
      "UPDATE users SET name = 'Trần Bình (HR)', updated_at = '2021-12-12 09:10:00' WHERE user_id = 3",
    );
    await legacy.insert('users', [
      {
        user_id: 40,
        email: 'new@example.com',
        password: LEGACY_PASSWORDS[1],
        name: 'Người mới',
        phonenumber: '0900000040',
        address: 'Vinh',
        role: 'jobseeker',
        created_at: '2021-12-12 09:20:00',
        updated_at: '2021-12-12 09:20:00',
      },
    ]);

    const delta = await runImport(dataDir, ['--from', legacy.url]);
    expect(delta.code).toBe(0);
    expect(delta.stdout).toContain('a delta run');
    expect(summary(delta, 'users')[1]).toBe(2);
    expect(summary(delta, 'messages')[1]).toBe(2);
    expect(summary(delta, 'notifications')[1]).toBe(0);
    // Only the new rows and those updated since the first run are read (and the bad rows are not read again).
    expect(summary(delta, 'messages')[0]).toBeLessThanOrEqual(3);
    expect(delta.stdout).not.toContain('skipped messages 21');

    const again = await runImport(dataDir, ['--from', legacy.url]);
    expect(again.code).toBe(0);
    for (const table of ['users', 'messages', 'notifications']) expect(summary(again, table)[1]).toBe(0);

    t = await startTestServer({ dataDir, keepDatabase: true });
    try {
      const db = t.server.database.dataSource;
      expect(await db.query('SELECT count(*)::int AS n FROM messages')).toEqual([{ n: 7 }]);
      expect(await db.query('SELECT status::text FROM messages WHERE message_id = 11')).toEqual([
        { status: 'seen' },
      ]);
      expect(await db.query('SELECT name FROM users WHERE user_id = 3')).toEqual([
        { name: 'Trần Bình (HR)' },
      ]);
      expect(await db.query(EVENTS_SQL)).toEqual([{ n: 0 }]);
      const { login } = await t.client.ok<{ login: { accessToken: string } }>(LOGIN, {
        email: 'hoa.nguyen@example.com',
        password: LEGACY_PASSWORDS[2],
      });
      const counts = await t.client.ok<{ unreadCounts: Record<string, number> }>(
        '{ unreadCounts { unseenMessages unseenConversations unseenNotifications } }',
        {},
        login.accessToken,
      );
      // 12, 20 and the new 24 (11 was read in the legacy app); from 3 and 5.
      expect(counts.unreadCounts).toEqual({
        unseenMessages: 3,
        unseenConversations: 2,
        unseenNotifications: 1,
      });

      // A new message gets an id past every legacy one, skipped ones included.
      const { sendMessage } = await t.client.ok<{ sendMessage: { id: string } }>(
        'mutation { sendMessage(receiverId: "3", detail: "Cảm ơn anh") { id } }',
        {},
        login.accessToken,
      );
      expect(Number(sendMessage.id)).toBeGreaterThan(24);
    } finally {
      await t.close();
    }

    // Once the server has written rows of its own, another import would overwrite them: refused, nothing changed.
    const late = await runImport(dataDir, ['--from', legacy.url]);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/^import:legacy: .*messages.* created since the last import/);
  }, 180_000);

  it('two imports at once: one is the first import, the other waits and moves nothing', async () => {
    if (!available) return;
    const runs = await Promise.all([
      runImport(dataDir, ['--from', legacy.url]),
      runImport(dataDir, ['--from', legacy.url]),
    ]);
    // Embedded, the second is refused by the DATA_DIR lock; on PostgreSQL it waits, then runs as a delta.
    expect(runs.filter((run) => run.stdout.includes('a first import'))).toHaveLength(1);
    const other = runs.find((run) => !run.stdout.includes('a first import')) as Run;
    if (ON_POSTGRES) {
      expect(other.code).toBe(0);
      expect(other.stdout).toContain('a delta run');
      expect(summary(other, 'messages')[1]).toBe(0);
    } else {
      expect(other.code).toBe(1);
    }
  }, 120_000);

  it('--strict fails the whole run on a bad row, and changes nothing', async () => {
    if (!available) return;
    const run = await runImport(dataDir, ['--from', legacy.url, '--strict']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('skipped messages 21: sender_id 999 is not an imported user');
    expect(run.stderr).toBe('import:legacy: --strict: 6 row(s) break the contract; nothing was changed\n');
    expect(
      await targetQuery(
        dataDir,
        `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM messages)::int AS messages,
                (SELECT count(*) FROM legacy_import_marks)::int AS marks`,
      ),
    ).toEqual([{ users: 0, messages: 0, marks: 0 }]);
  }, 60_000);

  it('places the timestamps in --timezone, the Laravel app timezone they were written in', async () => {
    if (!available) return;
    const run = await runImport(dataDir, ['--from', legacy.url, '--timezone', 'Asia/Ho_Chi_Minh']);
    expect(run.code).toBe(0);
    expect(await targetQuery(dataDir, 'SELECT created_at FROM users WHERE user_id = 2')).toEqual([
      { created_at: new Date('2021-12-02T02:15:00Z') },
    ]);
  }, 60_000);
});

describe('a source it cannot import from', () => {
  it.each([
    [
      'an unreachable server',
      () => 'mysql://root@127.0.0.1:1/legacy',
      /^import:legacy: cannot reach the legacy database at mysql:\/\/root@127\.0\.0\.1:1\/legacy \(ECONNREFUSED\)\n$/,
    ],
    [
      'a refused login',
      () => 'mysql://nobody:wrong-password@127.0.0.1:3306/legacy',
      /^import:legacy: the legacy database refused the login: Access denied for user 'nobody'.*\n$/,
    ],
  ])('%s: a one-line error, exit 1, the target untouched', async (_, from, message) => {
    if (!(await legacyMysqlAvailable())) return;
    const run = await runImport(dataDir, ['--from', from()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toContain('wrong-password');
    expect(await targetTouched(dataDir)).toBe(false);
  });

  it('a database without the legacy tables: a one-line error, exit 1, the target untouched', async () => {
    if (!(await legacyMysqlAvailable())) return;
    const empty = await LegacyDatabase.create(`empty_${process.pid}`, false);
    try {
      const run = await runImport(dataDir, ['--from', empty.url]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /^import:legacy: the source has no legacy tables users, messages, notifications: .*\n$/,
      );
      expect(await targetTouched(dataDir)).toBe(false);
    } finally {
      await empty.drop();
    }
  });

  it('a first import into a database that already holds users: refused, nothing changed', async () => {
    if (!(await legacyMysqlAvailable())) return;
    const legacy = await LegacyDatabase.create(`dev_${process.pid}`);
    try {
      await seedLegacy(legacy);
      // A development start created its admin (user 1) first.
      const t = await startTestServer({ dataDir, keepDatabase: true });
      await t.close();
      const run = await runImport(dataDir, ['--from', legacy.url]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /^import:legacy: the target database already holds 1 users that no import brought/,
      );
      expect(await targetQuery(dataDir, 'SELECT user_id, name FROM users')).toEqual([
        { user_id: 1, name: 'Admin' },
      ]);
    } finally {
      await legacy.drop();
    }
  }, 60_000);
});
