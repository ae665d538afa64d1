import type { EntityManager, ObjectLiteral } from 'typeorm';
import type { RealtimeEventName } from '../events/realtime-event';
import { stageEvent, stageUnreadCountsCheck } from './outbox-staging';

/** What a set-based update changed, as the entity subscriber of those rows would stage it. */
export interface BulkUpdate<T extends ObjectLiteral> {
  readonly target: new () => T;
  readonly name: RealtimeEventName;
  /** The rows after the change, as `UPDATE … RETURNING` gave them, each of which changed a value. */
  readonly rows: readonly T[];
  readonly recipientsOf: (row: T) => number[];
  /** The users whose unread counts the change may have moved. */
  readonly countsOf: readonly number[];
}

/**
 * Stages the events of rows changed by one `UPDATE … RETURNING` inside a transaction. TypeORM's subscribers see
 * only save(), which writes one statement per row (20,000 unseen messages took seconds); a bulk change writes them
 * in one statement and stages here what save() would have: one event per row, in id order, with the same payload.
 */
export async function stageBulkUpdate<T extends ObjectLiteral>(
  manager: EntityManager,
  update: BulkUpdate<T>,
): Promise<void> {
  const { queryRunner } = manager;
  if (queryRunner === undefined) throw new Error('stageBulkUpdate must run inside a transaction');
  const metadata = manager.connection.getMetadata(update.target);
  for (const row of update.rows) {
    await stageEvent(manager, queryRunner, update.name, metadata, row, update.recipientsOf(row));
  }
  await stageUnreadCountsCheck(manager, queryRunner, update.countsOf);
}
