import type { DataSource, EntityManager, EntityMetadata, ObjectLiteral, QueryRunner } from 'typeorm';
import { OutboxEvent } from '../entities/outbox-event';
import { badInput } from '../errors';
import { legacyPayload } from '../events/legacy-model';
import type { RealtimeEventName } from '../events/realtime-event';

// Transactions that recorded events and have not ended yet; TypeORM hands subscribers the same QueryRunner.
const staged = new WeakSet<QueryRunner>();
const commitListeners = new WeakMap<DataSource, () => void>();

/** Records an event in the outbox inside the transaction of the change; it commits or rolls back with it. */
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
  await manager.insert(OutboxEvent, {
    name,
    recipientIds: [...new Set(recipientIds)],
    payload,
    publishedAt: null,
  });
  staged.add(queryRunner);
}

/** Pusher refuses event data over 10 KB, so a change whose event could never be delivered is not written either. */
export const MAX_EVENT_DATA_BYTES = 10240;

/**
 * Thrown inside the transaction, so the change rolls back with its event; the field named is the one whose encoded
 * value takes the most room (control characters grow sixfold once JSON-escaped).
 */
function assertPusherSize(metadata: EntityMetadata, entity: ObjectLiteral, payload: string): void {
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

/** Called by the transaction subscriber once the outermost transaction has ended. */
export function transactionEnded(dataSource: DataSource, queryRunner: QueryRunner, committed: boolean): void {
  if (!staged.delete(queryRunner)) return;
  if (committed) commitListeners.get(dataSource)?.();
}

/** Lets the relay deliver right after a commit instead of waiting for its next poll. */
export function onOutboxCommit(dataSource: DataSource, listener: () => void): void {
  commitListeners.set(dataSource, listener);
}
