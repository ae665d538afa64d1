import type { EntityManager } from 'typeorm';

/** One staged event as a transaction writes it (numbered into the event log once committed). */
export interface OutboxRow {
  readonly name: string;
  readonly recipientIds: readonly number[];
  readonly payload: string;
}

/**
 * Writes staged events in one statement whatever their number. A multi-row VALUES list takes three bind parameters
 * per row and PostgreSQL accepts at most 65,535, so a bulk change of some 22,000 rows could never commit; three
 * arrays unnested take three parameters for any number of rows. They are written, and numbered, in the order given.
 */
export async function insertOutboxRows(manager: EntityManager, rows: readonly OutboxRow[]): Promise<void> {
  await manager.query(
    `INSERT INTO event_outbox_pending (event_name, recipient_ids, payload)
     SELECT name, recipients::int[], payload
       FROM unnest($1::varchar[], $2::text[], $3::text[]) WITH ORDINALITY AS row(name, recipients, payload, position)
      ORDER BY position`,
    [
      rows.map((row) => row.name),
      // Each recipient list as an array literal: unnest would flatten a two-dimensional array.
      rows.map((row) => `{${row.recipientIds.join(',')}}`),
      rows.map((row) => row.payload),
    ],
  );
}
