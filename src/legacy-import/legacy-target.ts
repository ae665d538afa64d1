import type { EntityManager, EntityMetadata } from 'typeorm';
import { hydrate } from '../database/hydrate';
import { LegacyImportMark } from '../entities';
import { legacyPayload } from '../events/legacy-model';
import { MAX_EVENT_DATA_BYTES } from '../subscribers/outbox-staging';
import { ImportError } from './import-error';
import { DOMAIN_TABLES, type DomainTable, ID_COLUMN, type ReadMark } from './legacy-source';
import type { MessageRow, NotificationRow, UserRow } from './legacy-rows';

/** Each target column and its PostgreSQL type, in the legacy table's order. */
const COLUMNS: Record<DomainTable, readonly (readonly [name: string, type: string])[]> = {
  users: [
    ['user_id', 'int'],
    ['email', 'text'],
    ['password', 'text'],
    ['name', 'text'],
    ['phonenumber', 'text'],
    ['address', 'text'],
    ['role', 'user_role'],
    ['status', 'user_status'],
    ['image_link', 'text'],
    ['created_at', 'timestamp'],
    ['updated_at', 'timestamp'],
  ],
  messages: [
    ['message_id', 'int'],
    ['detail', 'text'],
    ['status', 'message_status'],
    ['sender_id', 'int'],
    ['receiver_id', 'int'],
    ['created_at', 'timestamp'],
    ['updated_at', 'timestamp'],
  ],
  notifications: [
    ['notification_id', 'int'],
    ['title', 'text'],
    ['detail', 'text'],
    ['status', 'notification_status'],
    ['receiver_id', 'int'],
    ['created_at', 'timestamp'],
    ['updated_at', 'timestamp'],
  ],
};

/**
 * One statement per batch, whatever its size: the columns go in as arrays and come out of `unnest`. Timestamps,
 * written by Laravel in its app timezone without one, are placed in `--timezone`. Plain SQL, no entity subscribers:
 * history is not news, so no event reaches the outbox.
 *
 * A row whose id exists is updated when the legacy row is newer, or as new with some value different (a change in
 * the same second as the last read); so a re-run writes nothing twice, and a change this server made since (its
 * `updated_at` is later) is not undone. The password is left out of that second comparison: the argon2id hash a
 * login put in place of the legacy one, with `updated_at` kept, is the same password.
 */
function upsertSql(table: DomainTable): string {
  const columns = COLUMNS[table];
  const id = ID_COLUMN[table];
  const names = columns.map(([name]) => name);
  const timezone = `$${columns.length + 1}`;
  const selected = columns.map(([name, type]) =>
    type === 'timestamp' ? `v.${name} AT TIME ZONE ${timezone}` : `v.${name}`,
  );
  const updated = names.filter((name) => name !== id);
  const compared = updated.filter((name) => name !== 'password');
  return `INSERT INTO ${table} AS t (${names.join(', ')})
          SELECT ${selected.join(', ')}
            FROM unnest(${columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')}) AS v(${names.join(', ')})
          ON CONFLICT (${id}) DO UPDATE SET ${updated.map((name) => `${name} = EXCLUDED.${name}`).join(', ')}
           WHERE t.updated_at < EXCLUDED.updated_at
              OR (t.updated_at = EXCLUDED.updated_at
                  AND (${compared.map((name) => `t.${name}`).join(', ')})
                      IS DISTINCT FROM (${compared.map((name) => `EXCLUDED.${name}`).join(', ')}))
          RETURNING t.${id}`;
}

const UPSERT = Object.fromEntries(DOMAIN_TABLES.map((table) => [table, upsertSql(table)])) as Record<
  DomainTable,
  string
>;

/** Writes a batch of checked rows; returns how many were inserted or changed. */
export async function writeRows(
  manager: EntityManager,
  table: DomainTable,
  rows: readonly Record<string, unknown>[],
  timezone: string,
): Promise<number> {
  if (rows.length === 0) return 0;
  const params: unknown[] = COLUMNS[table].map(([name]) => rows.map((row) => row[name]));
  const written = (await manager.query(UPSERT[table], [...params, timezone])) as unknown[];
  return written.length;
}

/** The marks of the previous run, per table; none before the first. */
export async function readMarks(manager: EntityManager): Promise<Map<DomainTable, ReadMark>> {
  const marks = await manager.find(LegacyImportMark);
  return new Map(
    marks.map((mark) => [
      mark.tableName as DomainTable,
      { lastId: Number(mark.lastId), lastUpdatedAt: mark.lastUpdatedAt },
    ]),
  );
}

export async function saveMarks(
  manager: EntityManager,
  marks: ReadonlyMap<DomainTable, ReadMark>,
): Promise<void> {
  const importedAt = new Date();
  await manager.save(
    [...marks].map(([tableName, mark]) =>
      manager.create(LegacyImportMark, {
        tableName,
        lastId: String(mark.lastId),
        lastUpdatedAt: mark.lastUpdatedAt,
        importedAt,
      }),
    ),
  );
}

/**
 * A first import goes into empty tables only: rows it did not bring (say the development admin of an earlier
 * start, whose id a legacy user would take over along with its sessions) are refused rather than overwritten.
 */
export async function assertEmptyTarget(manager: EntityManager): Promise<void> {
  const [counts] = (await manager.query(
    `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM messages)::int AS messages,
            (SELECT count(*) FROM notifications)::int AS notifications`,
  )) as Record<DomainTable, number>[];
  const held = DOMAIN_TABLES.filter((table) => counts[table] > 0);
  if (held.length > 0) {
    throw new ImportError(
      `the target database already holds ${held.map((table) => `${counts[table]} ${table}`).join(', ')} that no ` +
        'import brought: the first import needs empty tables (a new database, or an embedded DATA_DIR never started)',
    );
  }
}

/** Which of these user ids the target has (written by this run's users or an earlier one). */
export async function existingUsers(manager: EntityManager, ids: readonly number[]): Promise<Set<number>> {
  const rows = (await manager.query('SELECT user_id FROM users WHERE user_id = ANY($1::int[])', [
    [...new Set(ids)],
  ])) as { user_id: number }[];
  return new Set(rows.map((row) => row.user_id));
}

/**
 * Why each of these users cannot be written, by id: an email or phone number that another user holds, in the
 * target or earlier in the same batch.
 */
export async function userClashes(
  manager: EntityManager,
  rows: readonly UserRow[],
): Promise<Map<number, string>> {
  const held = (await manager.query(
    `SELECT user_id, email, phonenumber FROM users WHERE email = ANY($1::text[]) OR phonenumber = ANY($2::text[])`,
    [rows.map((row) => row.email), rows.map((row) => row.phonenumber)],
  )) as { user_id: number; email: string; phonenumber: string }[];
  const emails = new Map(held.map((row) => [row.email, row.user_id]));
  const phones = new Map(held.map((row) => [row.phonenumber, row.user_id]));
  const clashes = new Map<number, string>();
  for (const row of rows) {
    const emailOwner = emails.get(row.email);
    const phoneOwner = phones.get(row.phonenumber);
    if (emailOwner !== undefined && emailOwner !== row.user_id) {
      clashes.set(row.user_id, `email ${row.email} is already user ${emailOwner}'s`);
    } else if (phoneOwner !== undefined && phoneOwner !== row.user_id) {
      clashes.set(row.user_id, `phonenumber ${row.phonenumber} is already user ${phoneOwner}'s`);
    } else {
      emails.set(row.email, row.user_id);
      phones.set(row.phonenumber, row.user_id);
    }
  }
  return clashes;
}

/**
 * Whether the row's real-time event would pass Pusher's 10 KB, as the server refuses for a new row. The
 * timestamps are encoded at a fixed length, so any date measures the same.
 */
export function eventTooLarge(
  metadata: EntityMetadata,
  row: MessageRow | NotificationRow,
): string | undefined {
  const entity = hydrate(metadata, { ...row, created_at: new Date(0), updated_at: new Date(0) });
  const size = Buffer.byteLength(legacyPayload(metadata, entity), 'utf8');
  return size > MAX_EVENT_DATA_BYTES
    ? `its real-time event would be ${size} bytes, over Pusher's limit of ${MAX_EVENT_DATA_BYTES}`
    : undefined;
}

/**
 * Moves each id sequence past the highest id (never back), so the next row the server creates gets an id no legacy
 * row has: rows inserted with their own ids leave a sequence where it was.
 */
export async function advanceSequences(manager: EntityManager): Promise<void> {
  for (const table of DOMAIN_TABLES) {
    const id = ID_COLUMN[table];
    await manager.query(
      `SELECT setval(s.seq, greatest(h.m, coalesce(pg_sequence_last_value(s.seq), 0)))
         FROM (SELECT pg_get_serial_sequence('${table}', '${id}')::regclass AS seq) AS s,
              (SELECT max(${id}) AS m FROM ${table}) AS h
        WHERE h.m IS NOT NULL`,
    );
  }
}

/**
 * A delta runs before the switch: once the server has created rows of its own (ids past the last ones imported),
 * new legacy rows would take their ids and overwrite them, so the run is refused instead.
 */
export async function assertNothingNewer(
  manager: EntityManager,
  marks: ReadonlyMap<DomainTable, ReadMark>,
): Promise<void> {
  for (const [table, mark] of marks) {
    const id = ID_COLUMN[table];
    const [row] = (await manager.query(`SELECT max(${id}) AS m FROM ${table}`)) as { m: number | null }[];
    if (row.m !== null && row.m > mark.lastId) {
      throw new ImportError(
        `the target has ${table} created since the last import (ids past ${mark.lastId}): the server has been ` +
          'used since, and a delta would overwrite what it wrote; see docs/MIGRATING.md',
      );
    }
  }
}
