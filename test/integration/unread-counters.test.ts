import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { type Database, openDatabase, runMigrations } from '../../src/database/database';
import { resetDatabase } from '../support/test-server';

// The counters kept by the triggers, and the migration that computed them from the rows already there.
const MIGRATION = 'UnreadCountersByDelta';

let dataDir: string;
let database: Database;
const sql = <T = Record<string, unknown>>(query: string, parameters: unknown[] = []) =>
  database.dataSource.query(query, parameters) as Promise<T[]>;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-counters-'));
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: process.env.DATABASE_URL });
  if (config.databaseUrl) await resetDatabase(config.databaseUrl);
  database = await openDatabase(config);
  await runMigrations(database);
});
afterAll(async () => {
  await database.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Every user's counts as the rows say, beside what `unread_counts` holds (a missing row reading as zeros). */
async function countsAgree(): Promise<void> {
  const rows = await sql<{ user_id: number; recount: string; kept: string }>(
    `SELECT u.user_id,
            concat_ws(',', (SELECT count(*) FROM messages m WHERE m.receiver_id = u.user_id AND m.status = 'unseen'),
                           (SELECT count(DISTINCT sender_id) FROM messages m
                             WHERE m.receiver_id = u.user_id AND m.status = 'unseen'),
                           (SELECT count(*) FROM notifications n
                             WHERE n.receiver_id = u.user_id AND n.status = 'unseen')) AS recount,
            concat_ws(',', coalesce(c.unseen_messages, 0), coalesce(c.unseen_conversations, 0),
                           coalesce(c.unseen_notifications, 0)) AS kept
       FROM users u LEFT JOIN unread_counts c ON c.user_id = u.user_id ORDER BY u.user_id`,
  );
  expect(rows.map((row) => `${row.user_id}:${row.kept}`)).toEqual(
    rows.map((row) => `${row.user_id}:${row.recount}`),
  );
}

async function users(n: number): Promise<number[]> {
  const rows = await sql<{ user_id: number }>(
    `INSERT INTO users (email, password, name, phonenumber, address, role)
     SELECT 'c' || g || '-' || $2 || '@example.com', 'x', 'U' || g, '+1' || $2 || g, 'A', 'jobseeker'
       FROM generate_series(1, $1::int) AS g
     RETURNING user_id`,
    [n, Date.now()],
  );
  return rows.map((row) => row.user_id);
}

it('the migration counts the rows already there, and keeps the counts it replaced as the ones announced', async () => {
  // Back to before the migration, with data written then: messages of every status from several senders.
  while ((await sql(`SELECT 1 FROM typeorm_migrations WHERE name LIKE '${MIGRATION}%'`)).length > 0) {
    await database.dataSource.undoLastMigration({ transaction: 'each' });
  }
  const [a, b, c, d] = await users(4);
  await sql(
    `INSERT INTO messages (detail, status, sender_id, receiver_id)
     VALUES ('1', 'unseen', $1, $2), ('2', 'unseen', $1, $2), ('3', 'seen', $1, $2), ('4', 'hidden', $3, $2),
            ('5', 'unseen', $3, $2), ('6', 'unseen', $2, $1), ('7', 'seen', $4, $1)`,
    [a, b, c, d],
  );
  await sql(
    `INSERT INTO notifications (title, detail, status, receiver_id)
     VALUES ('t', 'd', 'unseen', $1), ('t', 'd', 'seen', $1), ('t', 'd', 'unseen', $2)`,
    [b, c],
  );
  // What the previous code had last announced to B (stale on purpose).
  await sql(
    `INSERT INTO unread_counts (user_id, unseen_messages, unseen_conversations, unseen_notifications)
     VALUES ($1, 9, 9, 9)`,
    [b],
  );
  await runMigrations(database);
  await countsAgree();
  const [kept] = await sql(
    `SELECT unseen_messages, unseen_conversations, unseen_notifications,
            announced_messages, announced_conversations, announced_notifications
       FROM unread_counts WHERE user_id = $1`,
    [b],
  );
  expect(kept).toEqual({
    unseen_messages: 3,
    unseen_conversations: 2,
    unseen_notifications: 1,
    announced_messages: 9,
    announced_conversations: 9,
    announced_notifications: 9,
  });
});

it('the triggers keep every count right through inserts, bulk and single updates, moves and deletes of any writer', async () => {
  const [a, b, c, d] = await users(4);
  await sql(
    `INSERT INTO messages (detail, status, sender_id, receiver_id)
     SELECT 'm' || g, 'unseen', CASE WHEN g % 3 = 0 THEN $1::int ELSE $2::int END, $3 FROM generate_series(1, 300) g`,
    [a, c, b],
  );
  await countsAgree();
  // A bulk mark of one conversation, then a single one hidden, one back to unseen, one moved to another receiver.
  await sql(`UPDATE messages SET status = 'seen' WHERE sender_id = $1 AND receiver_id = $2`, [a, b]);
  await countsAgree();
  const [first, second, third] = await sql<{ message_id: number }>(
    'SELECT message_id FROM messages WHERE sender_id = $1 ORDER BY message_id LIMIT 3',
    [c],
  );
  await sql(`UPDATE messages SET status = 'hidden' WHERE message_id = $1`, [first.message_id]);
  await sql(`UPDATE messages SET status = 'unseen' WHERE sender_id = $1 AND status = 'seen'`, [a]);
  await sql(`UPDATE messages SET receiver_id = $1 WHERE message_id = $2`, [d, second.message_id]);
  await sql(`UPDATE messages SET sender_id = $1 WHERE message_id = $2`, [d, third.message_id]);
  await sql(`UPDATE messages SET detail = 'edited' WHERE receiver_id = $1`, [b]);
  await countsAgree();
  // Notifications to many receivers at once, a mark of all, and a delete.
  await sql(
    `INSERT INTO notifications (title, detail, status, receiver_id)
     SELECT 't', 'd', 'unseen', r FROM unnest($1::int[]) AS r, generate_series(1, 3)`,
    [[a, b, c, d]],
  );
  await sql(`UPDATE notifications SET status = 'seen' WHERE receiver_id = $1`, [a]);
  await sql(`DELETE FROM notifications WHERE receiver_id = $1`, [b]);
  await sql(`DELETE FROM messages WHERE message_id = $1`, [first.message_id + 10]);
  await countsAgree();
  // A user deleted: the cascade removes their messages, and the others' counts follow.
  await sql('DELETE FROM users WHERE user_id = $1', [c]);
  await countsAgree();
  const pairs = await sql('SELECT * FROM unseen_pairs WHERE sender_id = $1 AND unseen <> 0', [c]);
  expect(pairs).toEqual([]);
});
