import type { EntityManager, EntityMetadata, ObjectLiteral } from 'typeorm';
import { hydrate } from '../database/hydrate';
import { legacyPayloadSql } from '../events/legacy-model';
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

/** The events of rows a set-based change wrote, one per row, made in SQL from the rows. */
export interface BulkEvents {
  readonly name: RealtimeEventName;
  /** The rows' entity: its table, key and the columns of the payload. */
  readonly metadata: EntityMetadata;
  /** The keys of the rows, each of which changed a value. */
  readonly ids: readonly number[];
  /** A SQL int[] of a row of the table, its columns unqualified: who gets its event (no user twice). */
  readonly recipients: string;
}

/** Pusher refuses event data over 10 KB, so a change whose event could never be delivered is not written either. */
export const MAX_EVENT_DATA_BYTES = 10240;

/**
 * Writes one event per row of `events.ids`, in id order, each payload byte for byte `legacyPayload` of the row, in
 * one statement; returns whether it wrote any, and the row with the largest payload if that is past Pusher's limit,
 * for the caller to refuse as it refuses a single change.
 */
export async function insertBulkEvents(
  manager: EntityManager,
  events: BulkEvents,
): Promise<{ written: boolean; oversized?: ObjectLiteral }> {
  const { metadata } = events;
  const key = `"${metadata.primaryColumns[0].databaseName}"`;
  const table = `"${metadata.tableName}"`;
  const payload = legacyPayloadSql(metadata, 'changed');
  // Sorted before the payloads are made, so the sort holds the rows and not their events (which spilled to disk).
  const [{ written, largest }] = (await manager.query(
    `WITH inserted AS (
       INSERT INTO event_outbox_pending (event_name, recipient_ids, payload)
       SELECT $2, ${events.recipients}, ${payload}
         FROM (SELECT * FROM ${table} WHERE ${key} = ANY($1::int[]) ORDER BY ${key}) AS changed
       RETURNING octet_length(payload) AS bytes)
     SELECT count(*)::int AS written, coalesce(max(bytes), 0)::int AS largest FROM inserted`,
    [events.ids, events.name],
  )) as { written: number; largest: number }[];
  if (largest <= MAX_EVENT_DATA_BYTES) return { written: written > 0 };
  const [row] = (await manager.query(
    `SELECT * FROM ${table} AS changed WHERE ${key} = ANY($1::int[]) ORDER BY octet_length(${payload}) DESC LIMIT 1`,
    [events.ids],
  )) as Record<string, unknown>[];
  return { written: written > 0, oversized: hydrate(metadata, row) };
}
