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

/**
 * Inserts the users and messages in a few set-based statements (one argon2 hash shared by every user), then mints a
 * session and an access token per user as a login would, without the login's cost or throttles.
 */
export async function seedDataSet(databaseUrl: string, sizes: Sizes): Promise<DataSet> {
  const passwordHash = await new PasswordHasher().hash('bench-password');
  const signer = new TokenSigner(BENCH_SECRETS.JWT_SECRET, ACCESS_TOKEN_TTL_SECONDS);
  return withClient(databaseUrl, async (db) => {
    const users = await db.query<{ user_id: number }>(
      `INSERT INTO users (email, password, name, phonenumber, address, role)
       SELECT 'bench-user-' || i || '@bench.local', $1, 'Bench User ' || i, '+1555' || lpad(i::text, 7, '0'),
              i || ' Bench Street', (CASE WHEN i % 2 = 0 THEN 'employer' ELSE 'jobseeker' END)::user_role
         FROM generate_series(1, $2::int) AS i
       RETURNING user_id`,
      [passwordHash, sizes.users],
    );
    const ids = users.rows.map((row) => row.user_id).sort((a, b) => a - b);
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
    const all = [...ids, adminId];
    const sessions = all.map(() => randomUUID());
    await db.query(
      'INSERT INTO auth_sessions (session_id, user_id) SELECT * FROM unnest($1::uuid[], $2::int[])',
      [sessions, all],
    );
    await db.query('ANALYZE');
    const tokens = await Promise.all(
      all.map((userId, i) => signer.signAccessToken({ userId, sessionId: sessions[i] })),
    );
    const minted = all.map((id, i) => ({ id, token: tokens[i] }));
    return { users: minted.slice(0, -1), admin: minted[minted.length - 1] };
  });
}
