import type { DataSource, EntityManager, EntityMetadata, ObjectLiteral, QueryRunner } from 'typeorm';
import { OutboxEvent } from '../entities/outbox-event';
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
  await manager.insert(OutboxEvent, {
    name,
    recipientIds: [...new Set(recipientIds)],
    payload: legacyPayload(metadata, entity),
    publishedAt: null,
  });
  staged.add(queryRunner);
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
