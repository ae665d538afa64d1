import type { DataSource, EntityManager, EntityMetadata, ObjectLiteral, QueryRunner } from 'typeorm';
import { badInput } from '../errors';
import { legacyPayload } from '../events/legacy-model';
import { RealtimeEventName } from '../events/realtime-event';
import { type BulkEvents, insertBulkEvents, insertOutboxRows, MAX_EVENT_DATA_BYTES } from './outbox-insert';

interface StagedEvent {
  readonly name: RealtimeEventName;
  readonly recipientIds: number[];
  readonly payload: string;
}

/** One event made in JavaScript, or the events of many rows made in SQL from the rows at the commit. */
type Staged = ({ readonly kind: 'event' } & StagedEvent) | ({ readonly kind: 'bulk' } & BulkEvents);

/** What a transaction staged, each tagged with the (savepoint) depth it was staged at, so a rollback drops it. */
interface OpenTransaction {
  depth: number;
  events: (Staged & { readonly depth: number })[];
  countsOf: { readonly userId: number; readonly depth: number }[];
}

// TypeORM hands subscribers the QueryRunner of the transaction, the same object from start to end.
const open = new WeakMap<QueryRunner, OpenTransaction>();
// Transactions that wrote outbox rows and have not ended yet.
const wrote = new WeakSet<QueryRunner>();
const commitListeners = new WeakMap<DataSource, () => void>();

/**
 * Stages an event for the outbox. It is written when the transaction of the change commits (and dropped if it
 * rolls back), under its recipients' locks, so each recipient's event ids increase in commit order.
 */
export async function stageEvent(
  manager: EntityManager,
  queryRunner: QueryRunner,
  name: RealtimeEventName,
  metadata: EntityMetadata,
  entity: ObjectLiteral,
  recipientIds: number[],
): Promise<void> {
  const payload = legacyPayload(metadata, entity);
  assertPusherSize(metadata, entity, payload);
  const event = { kind: 'event' as const, name, recipientIds: [...new Set(recipientIds)], payload };
  const transaction = openTransaction(queryRunner);
  if (transaction === undefined) {
    if (await writeOutbox(manager, [event], [])) wrote.add(queryRunner);
    return;
  }
  transaction.events.push({ ...event, depth: transaction.depth });
}

/**
 * Stages one event per row of `events.ids`, each as `stageEvent` would stage it for that row, made in SQL from the
 * rows as they are at the commit, in id order: a set-based change of 20,000 rows sends none of them through
 * JavaScript (which took half a second, and as much again to send back as 5 MB of outbox parameters). The rows must
 * stay locked by the transaction until then, as the rows an UPDATE changed are.
 */
export async function stageBulkEvents(
  manager: EntityManager,
  queryRunner: QueryRunner,
  events: BulkEvents,
): Promise<void> {
  if (events.ids.length === 0) return;
  const staged = { kind: 'bulk' as const, ...events };
  const transaction = openTransaction(queryRunner);
  if (transaction === undefined) {
    if (await writeOutbox(manager, [staged], [])) wrote.add(queryRunner);
    return;
  }
  transaction.events.push({ ...staged, depth: transaction.depth });
}

/** Has the unread counts of these users compared with those last announced when the transaction commits. */
export async function stageUnreadCountsCheck(
  manager: EntityManager,
  queryRunner: QueryRunner,
  userIds: readonly number[],
): Promise<void> {
  const transaction = openTransaction(queryRunner);
  if (transaction === undefined) {
    if (await writeOutbox(manager, [], userIds)) wrote.add(queryRunner);
    return;
  }
  for (const userId of userIds) transaction.countsOf.push({ userId, depth: transaction.depth });
}

export { MAX_EVENT_DATA_BYTES };

/**
 * Thrown inside the transaction, so the change rolls back with its event; the field named is the one whose encoded
 * value takes the most room (control characters grow sixfold once JSON-escaped).
 */
export function assertPusherSize(metadata: EntityMetadata, entity: ObjectLiteral, payload: string): void {
  const size = Buffer.byteLength(payload, 'utf8');
  if (size <= MAX_EVENT_DATA_BYTES) return;
  const largest = metadata.columns
    .map((column) => ({
      field: column.propertyName,
      bytes: Buffer.byteLength(JSON.stringify(column.getEntityValue(entity) ?? null), 'utf8'),
    }))
    .reduce((a, b) => (b.bytes > a.bytes ? b : a));
  throw badInput(
    largest.field,
    `is too long: the real-time event would be ${size} bytes once encoded, over Pusher's limit of ${MAX_EVENT_DATA_BYTES}.`,
  );
}

/** The staging state of an active transaction; undefined for a write outside one, which is written at once. */
function openTransaction(queryRunner: QueryRunner): OpenTransaction | undefined {
  return queryRunner.isTransactionActive ? open.get(queryRunner) : undefined;
}

/**
 * Writes the staged events, then one `UnreadCountsUpdated` per user whose counts moved: in one statement, plus one
 * for each bulk of events made in SQL, all at the commit, so their place in the log is their commit's. Event order
 * needs no lock: ids are drawn when the committed rows are moved into the log (`src/delivery/event-log.ts`), in the
 * order they became visible. Nor do the counts: the triggers' update of a user's counter row holds it until the
 * commit, so a later change for the same user announces after this one committed, the counts this one left.
 */
async function writeOutbox(
  manager: EntityManager,
  events: readonly Staged[],
  countsOf: readonly number[],
): Promise<boolean> {
  const counted = [...new Set(countsOf)].sort((a, b) => a - b);
  let written = false;
  // In the order staged: runs of single events one statement each, each bulk one its own, the counts with the last.
  let run: StagedEvent[] = [];
  for (const event of events) {
    if (event.kind === 'event') {
      run.push(event);
      continue;
    }
    if (run.length > 0) written = (await insertOutboxRows(manager, run)) || written;
    run = [];
    const { oversized, written: bulkWritten } = await insertBulkEvents(manager, event);
    if (oversized !== undefined)
      assertPusherSize(event.metadata, oversized, legacyPayload(event.metadata, oversized));
    written = bulkWritten || written;
  }
  if (run.length === 0 && counted.length === 0) return written;
  return (await insertOutboxRows(manager, run, counted)) || written;
}

/** Called by the transaction subscriber when a transaction or savepoint starts. */
export function transactionStarted(queryRunner: QueryRunner): void {
  const transaction = open.get(queryRunner);
  if (transaction) transaction.depth += 1;
  else open.set(queryRunner, { depth: 1, events: [], countsOf: [] });
}

/** Called by the transaction subscriber just before a commit (or savepoint release): the outermost one writes. */
export async function transactionCommitting(queryRunner: QueryRunner, manager: EntityManager): Promise<void> {
  const transaction = open.get(queryRunner);
  if (transaction === undefined || transaction.depth > 1) return;
  const { events, countsOf } = transaction;
  transaction.events = [];
  transaction.countsOf = [];
  const written = await writeOutbox(
    manager,
    events,
    countsOf.map((entry) => entry.userId),
  );
  if (written) wrote.add(queryRunner);
}

/** Called by the transaction subscriber once a transaction or savepoint has ended. */
export function transactionEnded(dataSource: DataSource, queryRunner: QueryRunner, committed: boolean): void {
  const transaction = open.get(queryRunner);
  if (transaction) {
    if (!committed) {
      const { depth } = transaction;
      transaction.events = transaction.events.filter((event) => event.depth < depth);
      transaction.countsOf = transaction.countsOf.filter((entry) => entry.depth < depth);
    }
    transaction.depth -= 1;
    if (transaction.depth > 0) return;
    open.delete(queryRunner);
  }
  if (!wrote.delete(queryRunner)) return;
  if (committed) outboxCommitted(dataSource);
}

/** Tells the relay of a commit that staged events outside a TypeORM transaction (one statement that commits itself). */
export function outboxCommitted(dataSource: DataSource): void {
  commitListeners.get(dataSource)?.();
}

/** Lets the relay deliver right after a commit instead of waiting for its next poll. */
export function onOutboxCommit(dataSource: DataSource, listener: () => void): void {
  commitListeners.set(dataSource, listener);
}
