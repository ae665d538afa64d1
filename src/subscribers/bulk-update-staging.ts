import type { EntityManager, ObjectLiteral } from 'typeorm';
import type { RealtimeEventName } from '../events/realtime-event';
import { stageBulkEvents, stageUnreadCountsCheck } from './outbox-staging';

/** A set-based update and the events its changed rows get, as the entity subscriber of those rows would stage them. */
export interface BulkUpdate<T extends ObjectLiteral> {
  readonly target: new () => T;
  readonly name: RealtimeEventName;
  /**
   * The `WITH` parts of the update, the last one `changed AS (UPDATE … RETURNING <alias>.*)`, giving every row
   * after the change, each of which changed a value.
   */
  readonly changed: string;
  readonly parameters: readonly unknown[];
  /** A SQL int[] of a changed row, its columns unqualified: who gets its event (no user twice). */
  readonly recipients: string;
  /** A SQL int of a changed row: whose unread counts the change may have moved. */
  readonly countsOf: string;
}

/**
 * Runs a set-based update inside a transaction and stages what save() of each changed row would: its event, with
 * the same payload, and the check of the counts it may have moved. Only the keys come back from the update; the
 * events are made in SQL from the rows when the transaction commits, as staged events are written then, so they
 * keep their place in commit order. Returns how many rows changed.
 */
export async function updateInBulk<T extends ObjectLiteral>(
  manager: EntityManager,
  update: BulkUpdate<T>,
): Promise<number> {
  const { queryRunner } = manager;
  if (queryRunner === undefined) throw new Error('updateInBulk must run inside a transaction');
  const metadata = manager.connection.getMetadata(update.target);
  const key = `"${metadata.primaryColumns[0].databaseName}"`;
  const [{ ids, counts_of: countsOf }] = (await manager.query(
    `WITH ${update.changed}
     SELECT coalesce(array_agg(${key} ORDER BY ${key}), '{}') AS ids,
            coalesce(array_agg(DISTINCT ${update.countsOf}), '{}') AS counts_of
       FROM changed`,
    [...update.parameters],
  )) as { ids: number[]; counts_of: number[] }[];
  await stageBulkEvents(manager, queryRunner, {
    name: update.name,
    metadata,
    ids,
    recipients: update.recipients,
  });
  if (ids.length > 0) await stageUnreadCountsCheck(manager, queryRunner, countsOf);
  return ids.length;
}
