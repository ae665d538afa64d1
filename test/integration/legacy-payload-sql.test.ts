import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { type Database, openDatabase, runMigrations } from '../../src/database/database';
import { hydrate } from '../../src/database/hydrate';
import { Message, Notification } from '../../src/entities';
import { legacyPayload, legacyPayloadSql } from '../../src/events/legacy-model';
import { resetDatabase } from '../support/test-server';

// Bulk marks write their events' payloads in SQL; legacy clients compare them byte for byte with what the
// JavaScript encoder writes for a save(), so both must agree on every text a row can hold.
let dataDir: string;
let database: Database;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-payload-sql-'));
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: process.env.DATABASE_URL });
  if (config.databaseUrl) await resetDatabase(config.databaseUrl);
  database = await openDatabase(config);
  await runMigrations(database);
});
afterAll(async () => {
  await database.close();
  await rm(dataDir, { recursive: true, force: true });
});

// Every character JSON.stringify escapes (and some it leaves alone that other encoders escape).
const TEXTS = [
  'plain',
  '',
  'quote " backslash \\ slash / </script>',
  'controls \b\f\n\r\t \u0001 \u001f \u007f',
  'line separators \u2028 \u2029 and BOM \ufeff',
  'accents é ñ ü, CJK 漢字, emoji 😀👍🏽, astral 𝄞',
  "single ' and `backtick` and ${template}",
  '{"model": null}',
];

it('legacyPayloadSql gives the bytes legacyPayload gives, for messages and notifications', async () => {
  const { dataSource } = database;
  const [a, b] = (await dataSource.query(
    `INSERT INTO users (email, password, name, phonenumber, address, role)
     SELECT 'payload' || g || '@example.com', 'x', 'U' || g, '+1999' || g, 'A', 'jobseeker'
       FROM generate_series(1, 2) AS g RETURNING user_id`,
  )) as { user_id: number }[];
  for (const [entity, insert] of [
    [
      Message,
      `INSERT INTO messages (detail, status, sender_id, receiver_id, created_at, updated_at)
       SELECT t, 'seen', $2, $3, '2021-12-11T13:30:17Z', CURRENT_TIMESTAMP FROM unnest($1::text[]) AS t
       RETURNING *`,
    ],
    [
      Notification,
      `INSERT INTO notifications (title, detail, status, receiver_id)
       SELECT left(t, 255), t, 'hidden', $3 FROM unnest($1::text[]) AS t WHERE $2::int IS NOT NULL
       RETURNING *`,
    ],
  ] as const) {
    const metadata = dataSource.getMetadata(entity);
    const rows = (await dataSource.query(
      `WITH changed AS (${insert}) SELECT changed.*, ${legacyPayloadSql(metadata, 'changed')} AS sql_payload
         FROM changed`,
      [TEXTS, a.user_id, b.user_id],
    )) as (Record<string, unknown> & { sql_payload: string })[];
    expect(rows).toHaveLength(TEXTS.length);
    for (const { sql_payload: sqlPayload, ...row } of rows) {
      expect(sqlPayload).toBe(legacyPayload(metadata, hydrate(metadata, row)));
    }
  }
});
