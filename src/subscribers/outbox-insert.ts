import type { EntityManager } from 'typeorm';
import { RealtimeEventName } from '../events/realtime-event';

/** One staged event as a transaction writes it (numbered into the event log once committed). */
export interface OutboxRow {
  readonly name: string;
  readonly recipientIds: readonly number[];
  readonly payload: string;
}

/**
 * Writes a transaction's staged events, then one `UnreadCountsUpdated` per user of `countsOf` whose counts moved,
 * in one statement and one round trip, whatever their number (`stage_events`, migration LeanSend); returns whether
 * it wrote any. Three arrays unnested take three bind parameters for any number of rows, where a multi-row VALUES
 * list would pass PostgreSQL's 65,535 with a bulk change of some 22,000 rows. They are written, and numbered, in the
 * order given, the counts last (by user id).
 */
export async function insertOutboxRows(
  manager: EntityManager,
  rows: readonly OutboxRow[],
  countsOf: readonly number[] = [],
): Promise<boolean> {
  const [{ written }] = (await manager.query(
    'SELECT stage_events($1::varchar[], $2::text[], $3::text[], $4::int[], $5::varchar) AS written',
    [
      rows.map((row) => row.name),
      rows.map((row) => recipientList(row.recipientIds)),
      rows.map((row) => row.payload),
      countsOf,
      RealtimeEventName.UNREAD_COUNTS_UPDATED,
    ],
  )) as { written: number }[];
  return written > 0;
}

/** A recipient list as an array literal, one text per event: unnest would flatten a two-dimensional array. */
const recipientList = (recipientIds: readonly number[]): string => `{${recipientIds.join(',')}}`;
