import type { DataSource, EntityManager, EntityMetadata } from 'typeorm';
import { Message, Notification } from '../entities';
import { recordChangedUnreadCounts } from '../events/unread-counts';
import {
  type Checked,
  checkMessage,
  checkNotification,
  checkUser,
  type MessageRow,
  type NotificationRow,
  type UserRow,
} from './legacy-rows';
import {
  DOMAIN_TABLES,
  type DomainTable,
  ID_COLUMN,
  type LegacyRow,
  type LegacySource,
  type ReadMark,
} from './legacy-source';
import {
  advanceSequences,
  assertEmptyTarget,
  assertNothingNewer,
  eventTooLarge,
  existingUsers,
  readMarks,
  saveMarks,
  userClashes,
  writeRows,
} from './legacy-target';
import type { ImportOptions } from './options';

export interface TableSummary {
  readonly table: DomainTable;
  read: number;
  written: number;
  skipped: number;
}

/** A legacy row that breaks the contract, not imported. */
export interface Problem {
  readonly table: DomainTable;
  readonly id: string;
  readonly reason: string;
}

export interface ImportReport {
  readonly tables: readonly TableSummary[];
  /** The source's tables outside this server's domain, not read. */
  readonly otherTables: readonly string[];
  readonly problems: readonly Problem[];
  /** Whether this run read only what changed since an earlier one. */
  readonly delta: boolean;
  /** False when `--strict` found problems: the run was rolled back whole. */
  readonly committed: boolean;
}

export interface ImportHooks {
  /** After each batch; `total` only when asked for (counting costs a scan). */
  progress?(table: DomainTable, read: number, total: number): void;
  problem?(problem: Problem): void;
  readonly countForProgress?: boolean;
}

class StrictRollback extends Error {}

type TargetRow = UserRow | MessageRow | NotificationRow;

/**
 * Brings users, then messages, then notifications from the legacy source into the target, in one transaction:
 * a failure (or `--strict` with a bad row) leaves the target as it was. Rows are checked against the contract,
 * written in batches with their ids, and the read marks saved for the next run's delta. Nothing is announced; the
 * unread counts recorded as announced are set to what the imported rows give, so the next change announces only
 * what it moves.
 */
export async function importLegacy(
  source: LegacySource,
  dataSource: DataSource,
  options: ImportOptions,
  hooks: ImportHooks = {},
): Promise<ImportReport> {
  const metadata = {
    messages: dataSource.getMetadata(Message),
    notifications: dataSource.getMetadata(Notification),
  };
  const tables: TableSummary[] = [];
  const problems: Problem[] = [];
  let delta = false;
  const reject = (table: DomainTable, id: unknown, reason: string) => {
    const problem = { table, id: String(id), reason };
    problems.push(problem);
    hooks.problem?.(problem);
  };
  try {
    await dataSource.transaction(async (manager) => {
      // The pool's per-statement limits are for requests; the import's batches (and the counter triggers they
      // fire) may take longer on a big table, and nothing else waits on this transaction.
      await manager.query('SET LOCAL statement_timeout = 0');
      await manager.query('SET LOCAL lock_timeout = 0');
      // It reads MySQL between its statements: idle in its transaction, which must not end it.
      await manager.query('SET LOCAL idle_in_transaction_session_timeout = 0');
      // Taken before anything is read: a second import (or a server writing to the same database) waits for this
      // one to commit, then sees its marks and runs as a delta, instead of both passing the empty-target check.
      await manager.query('LOCK TABLE users, messages, notifications IN SHARE ROW EXCLUSIVE MODE');
      const marks = await readMarks(manager);
      delta = marks.size > 0;
      if (delta) await assertNothingNewer(manager, marks);
      else await assertEmptyTarget(manager);
      const next = new Map<DomainTable, ReadMark>();
      for (const table of DOMAIN_TABLES) {
        const summary: TableSummary = { table, read: 0, written: 0, skipped: 0 };
        tables.push(summary);
        const mark = marks.get(table);
        const total = hooks.countForProgress ? await source.count(table, mark) : 0;
        let lastId = mark?.lastId ?? 0;
        let lastUpdatedAt = mark?.lastUpdatedAt ?? null;
        for await (const batch of source.batches(table, mark, options.batchSize)) {
          summary.read += batch.length;
          for (const raw of batch) {
            lastId = Math.max(lastId, Number(raw[ID_COLUMN[table]]));
            const updatedAt = raw.updated_at;
            if (
              typeof updatedAt === 'string' &&
              !updatedAt.startsWith('0000') &&
              (lastUpdatedAt === null || updatedAt > lastUpdatedAt)
            ) {
              lastUpdatedAt = updatedAt;
            }
          }
          const rows = await acceptedRows(manager, table, batch, metadata, (id, reason) => {
            summary.skipped += 1;
            reject(table, id, reason);
          });
          summary.written += await writeRows(
            manager,
            table,
            rows as unknown as Record<string, unknown>[],
            options.timezone,
          );
          hooks.progress?.(table, summary.read, total);
        }
        next.set(table, { lastId, lastUpdatedAt });
      }
      await advanceSequences(manager);
      await settleUnreadCounts(manager);
      await saveMarks(manager, next);
      if (options.strict && problems.length > 0) throw new StrictRollback();
    });
  } catch (error) {
    if (!(error instanceof StrictRollback)) throw error;
    return { tables, otherTables: source.otherTables, problems, delta, committed: false };
  }
  return { tables, otherTables: source.otherTables, problems, delta, committed: true };
}

type Reject = (id: unknown, reason: string) => void;

/** The rows of a batch fit to write; each other one is passed to `reject` with its reason. */
async function acceptedRows(
  manager: EntityManager,
  table: DomainTable,
  batch: readonly LegacyRow[],
  metadata: Record<'messages' | 'notifications', EntityMetadata>,
  reject: Reject,
): Promise<TargetRow[]> {
  if (table === 'users') return acceptedUsers(manager, batch, reject);
  if (table === 'messages') {
    return acceptedEvents(manager, batch, checkMessage, metadata.messages, reject, (row) => [
      ['sender_id', row.sender_id],
      ['receiver_id', row.receiver_id],
    ]);
  }
  return acceptedEvents(manager, batch, checkNotification, metadata.notifications, reject, (row) => [
    ['receiver_id', row.receiver_id],
  ]);
}

/** Rows that pass their own checks, with the id of each that does not. */
function checkEach<T>(
  batch: readonly LegacyRow[],
  idColumn: string,
  check: (raw: LegacyRow) => Checked<T>,
  reject: Reject,
): T[] {
  const rows: T[] = [];
  for (const raw of batch) {
    const checked = check(raw);
    if ('problem' in checked) reject(raw[idColumn], checked.problem);
    else rows.push(checked.row);
  }
  return rows;
}

async function acceptedUsers(
  manager: EntityManager,
  batch: readonly LegacyRow[],
  reject: Reject,
): Promise<UserRow[]> {
  const rows = checkEach(batch, 'user_id', checkUser, reject);
  const clashes = await userClashes(manager, rows);
  return rows.filter((row) => {
    const clash = clashes.get(row.user_id);
    if (clash !== undefined) reject(row.user_id, clash);
    return clash === undefined;
  });
}

/** Messages and notifications: their event must fit Pusher, and the users they name must have been imported. */
async function acceptedEvents<T extends MessageRow | NotificationRow>(
  manager: EntityManager,
  batch: readonly LegacyRow[],
  check: (raw: LegacyRow) => Checked<T>,
  metadata: EntityMetadata,
  reject: Reject,
  users: (row: T) => [column: string, id: number][],
): Promise<T[]> {
  const idColumn = metadata.primaryColumns[0].databaseName;
  const rowId = (row: T): unknown => (row as unknown as Record<string, unknown>)[idColumn];
  const sized = checkEach(batch, idColumn, check, reject).filter((row) => {
    const tooLarge = eventTooLarge(metadata, row);
    if (tooLarge !== undefined) reject(rowId(row), tooLarge);
    return tooLarge === undefined;
  });
  // Users are imported first, so one missing now is missing in the source, or was skipped as a bad row.
  const present = await existingUsers(
    manager,
    sized.flatMap((row) => users(row).map(([, id]) => id)),
  );
  return sized.filter((row) => {
    const orphan = users(row).find(([, id]) => !present.has(id));
    if (orphan !== undefined) reject(rowId(row), `${orphan[0]} ${orphan[1]} is not an imported user`);
    return orphan === undefined;
  });
}

const COUNTS_CHUNK = 5000;

/**
 * The counter triggers on messages and notifications have counted the imported rows; this records every user's
 * counts as announced, without announcing them: history is not news, and the next real change then announces only
 * what it moved.
 */
async function settleUnreadCounts(manager: EntityManager): Promise<void> {
  for (let after = 0; ;) {
    const rows = (await manager.query(
      'SELECT user_id FROM users WHERE user_id > $1 ORDER BY user_id LIMIT $2',
      [after, COUNTS_CHUNK],
    )) as { user_id: number }[];
    if (rows.length === 0) return;
    await recordChangedUnreadCounts(
      manager,
      rows.map((row) => row.user_id),
    );
    after = rows[rows.length - 1].user_id;
  }
}
