import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { PasswordHasher } from '../src/services/password-hasher';
import { TokenSigner } from '../src/services/token-signer';
import { ACCESS_TOKEN_TTL_SECONDS, BENCH_SECRETS } from './server-env';
import type { Sizes } from './sizes';

export interface BenchUser {
  readonly id: number;
  readonly token: string;
}

export interface DataSet {
  /** users[0] and users[1] are the measured conversation. */
  readonly users: readonly BenchUser[];
  readonly admin: BenchUser;
}

/** Creates the scratch database if needed and empties it, so the server migrates it from scratch. */
export async function resetBenchDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]*$/.test(name))
    throw new Error(`bench database name "${name}" must be a plain identifier`);
  const admin = new Client({
    connectionString: Object.assign(new URL(databaseUrl), { pathname: '/postgres' }).href,
  });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  await withClient(databaseUrl, (db) => db.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;'));
}

async function withClient<T>(databaseUrl: string, work: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}

/** A session and an access token per user, as a login would mint them, without the login's cost or throttles. */
async function mintTokens(db: Client, userIds: readonly number[]): Promise<BenchUser[]> {
  const signer = new TokenSigner(BENCH_SECRETS.JWT_SECRET, ACCESS_TOKEN_TTL_SECONDS);
  const sessions = userIds.map(() => randomUUID());
  await db.query(
    'INSERT INTO auth_sessions (session_id, user_id) SELECT * FROM unnest($1::uuid[], $2::int[])',
    [sessions, userIds],
  );
  const tokens = await Promise.all(
    userIds.map((userId, i) => signer.signAccessToken({ userId, sessionId: sessions[i] })),
  );
  return userIds.map((id, i) => ({ id, token: tokens[i] }));
}

/** Users number `first + 1` to `first + count` in one statement (one argon2 hash shared by all), by id. */
async function insertUsers(db: Client, first: number, count: number): Promise<number[]> {
  const passwordHash = await new PasswordHasher().hash('bench-password');
  const users = await db.query<{ user_id: number }>(
    `INSERT INTO users (email, password, name, phonenumber, address, role)
     SELECT 'bench-user-' || i || '@bench.local', $1, 'Bench User ' || i, '+1555' || lpad(i::text, 7, '0'),
            i || ' Bench Street', (CASE WHEN i % 2 = 0 THEN 'employer' ELSE 'jobseeker' END)::user_role
       FROM generate_series($2::int + 1, $2::int + $3::int) AS i
     RETURNING user_id`,
    [passwordHash, first, count],
  );
  return users.rows.map((row) => row.user_id).sort((a, b) => a - b);
}

/** More users with tokens, for a benchmark that needs more than the data set's: `first` is how many exist. */
export function seedUsers(databaseUrl: string, first: number, count: number): Promise<BenchUser[]> {
  return withClient(databaseUrl, async (db) => mintTokens(db, await insertUsers(db, first, count)));
}

/**
 * Inserts the users and messages in a few set-based statements, then mints a session and an access token per user
 * and for the admin the server created.
 */
export async function seedDataSet(databaseUrl: string, sizes: Sizes): Promise<DataSet> {
  return withClient(databaseUrl, async (db) => {
    const ids = await insertUsers(db, 0, sizes.users);
    const [first, last] = [ids[0], ids[ids.length - 1]];
    // Random pairs among all users except the measured two, so their conversation holds only its own messages.
    await db.query(
      `INSERT INTO messages (detail, sender_id, receiver_id, status)
       SELECT 'Background message ' || i, s, CASE WHEN r >= s THEN r + 1 ELSE r END,
              (CASE WHEN i % 3 = 0 THEN 'seen' ELSE 'unseen' END)::message_status
         FROM (SELECT i, $1::int + 2 + floor(random() * ($2::int - $1::int - 1))::int AS s,
                      $1::int + 2 + floor(random() * ($2::int - $1::int - 2))::int AS r
                 FROM generate_series(1, $3::int) AS i) AS pairs`,
      [first, last, sizes.messages],
    );
    await db.query(
      `INSERT INTO messages (detail, sender_id, receiver_id)
       SELECT 'Measured conversation message ' || i, CASE WHEN i % 2 = 0 THEN $1::int ELSE $2::int END,
              CASE WHEN i % 2 = 0 THEN $2::int ELSE $1::int END
         FROM generate_series(1, $3::int) AS i`,
      [ids[0], ids[1], sizes.conversationMessages],
    );
    const adminRow = await db.query<{ user_id: number }>('SELECT user_id FROM users WHERE email = $1', [
      BENCH_SECRETS.ADMIN_EMAIL,
    ]);
    const adminId = adminRow.rows[0]?.user_id;
    if (adminId === undefined) throw new Error('the server did not create the bench admin');
    const minted = await mintTokens(db, [...ids, adminId]);
    await db.query('ANALYZE');
    return { users: minted.slice(0, -1), admin: minted[minted.length - 1] };
  });
}

/**
 * Growth's table, in SQL behind the server's back (no events): each of `measured` gets exactly `unseen` unseen
 * messages, from all of `others` in turn (their earlier unseen ones are marked seen), then background messages
 * between `others` are added, or the oldest of them removed, until the table holds exactly `total`. Returns the count.
 */
export async function shapeMessages(
  databaseUrl: string,
  plan: { total: number; measured: readonly number[]; unseen: number; others: readonly number[] },
): Promise<number> {
  return withClient(databaseUrl, async (db) => {
    await db.query(
      "UPDATE messages SET status = 'seen' WHERE receiver_id = ANY($1::int[]) AND status = 'unseen'",
      [plan.measured],
    );
    await db.query(
      `INSERT INTO messages (detail, sender_id, receiver_id)
       SELECT 'Growth unseen message ' || i, ($1::int[])[1 + i % cardinality($1::int[])], r
         FROM unnest($2::int[]) AS r, generate_series(1, $3::int) AS i`,
      [plan.others, plan.measured, plan.unseen],
    );
    const count = async () =>
      Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM messages')).rows[0].n);
    const now = await count();
    if (now < plan.total) {
      // A random sender, and a receiver one to n-1 places after it (so never the sender).
      await db.query(
        `INSERT INTO messages (detail, sender_id, receiver_id, status)
         SELECT 'Growth background message ' || i, ($1::int[])[1 + s], ($1::int[])[1 + (s + r) % n],
                (CASE WHEN i % 3 = 0 THEN 'seen' ELSE 'unseen' END)::message_status
           FROM (SELECT i, cardinality($1::int[]) AS n, floor(random() * cardinality($1::int[]))::int AS s,
                        1 + floor(random() * (cardinality($1::int[]) - 1))::int AS r
                   FROM generate_series(1, $2::int) AS i) AS pairs`,
        [plan.others, plan.total - now],
      );
    } else if (now > plan.total) {
      await db.query(
        `DELETE FROM messages WHERE message_id IN (
           SELECT message_id FROM messages
            WHERE sender_id <> ALL($1::int[]) AND receiver_id <> ALL($1::int[])
            ORDER BY message_id LIMIT $2::int)`,
        [plan.measured, now - plan.total],
      );
    }
    await db.query('VACUUM ANALYZE messages');
    // Writes the dirty pages the seeding left now, not in the checkpoints of the measured phase that follows: a
    // table at its size in production is not flushing the rows just added to it. Needs a superuser (or
    // pg_checkpoint); without one the phase measures those flushes too.
    await db.query('CHECKPOINT').catch(() => undefined);
    return count();
  });
}
