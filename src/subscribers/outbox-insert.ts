import type { EntityManager } from 'typeorm';
import { RealtimeEventName } from '../events/realtime-event';
import { announcedCountsSql } from '../events/unread-counts';

/** One staged event as a transaction writes it (numbered into the event log once committed). */
export interface OutboxRow {
  readonly name: string;
  readonly recipientIds: readonly number[];
  readonly payload: string;
}

/**
 * Writes a transaction's staged events, then one `UnreadCountsUpdated` per user of `countsOf` whose counts moved,
 * in one statement and one round trip, whatever their number; returns whether it wrote any. A multi-row VALUES list
 * takes three bind parameters per row and PostgreSQL accepts at most 65,535, so a bulk change of some 22,000 rows
 * could never commit; three arrays unnested take three parameters for any number of rows. They are written, and
 * numbered, in the order given, the counts last (by user id): the ORDER BY reads every row, the announced counts
 * included, before the first is inserted.
 */
export async function insertOutboxRows(
  manager: EntityManager,
  rows: readonly OutboxRow[],
  countsOf: readonly number[] = [],
): Promise<boolean> {
  const [{ written }] = (await manager.query(
    `WITH ${announcedCountsSql(4)},
     staged AS (
       SELECT 0 AS part, position, name, recipients::int[] AS recipients, payload
         FROM unnest($1::varchar[], $2::text[], $3::text[]) WITH ORDINALITY AS row(name, recipients, payload, position)
       UNION ALL
       SELECT 1, user_id, $5::varchar, ARRAY[user_id], payload FROM announced),
     inserted AS (
       INSERT INTO event_outbox_pending (event_name, recipient_ids, payload)
       SELECT name, recipients, payload FROM staged ORDER BY part, position
       RETURNING 1)
     SELECT count(*)::int AS written FROM inserted`,
    [
      rows.map((row) => row.name),
      // Each recipient list as an array literal: unnest would flatten a two-dimensional array.
      rows.map((row) => `{${row.recipientIds.join(',')}}`),
      rows.map((row) => row.payload),
      countsOf,
      RealtimeEventName.UNREAD_COUNTS_UPDATED,
    ],
  )) as { written: number }[];
  return written > 0;
}
