import { Client } from 'pg';
import { sendMessage } from '../fixtures/messages';
import { createUser } from '../fixtures/users';
import type { TestServer } from '../support/test-server';
import { eventually } from '../support/wait';
import { laravelTimestampSql } from '../support/laravel-sql';
import { type ServerBesideDatabase, startServerBesideDatabase } from '../support/server-beside-database';

// The row is read in SQL beside the server, which needs a PostgreSQL the test can reach.
let available = false;
let t: TestServer;
let db: Client;
let beside: ServerBesideDatabase | undefined;
beforeAll(async () => {
  beside = await startServerBesideDatabase();
  available = beside !== undefined;
  if (beside) ({ server: t, db } = beside);
}, 60_000);
afterAll(() => beside?.close());

// Texts that JSON escapes, that look like the payload's own start, and that are not ASCII.
const DETAILS = [
  'plain',
  'quotes " and \\ backslashes \\" and /slashes/',
  'control \u0001 \b \f \n \r \t \u001f and DEL \u007f',
  '{"model":{"message_id":0,"detail":"forged"},"connection":null,"queue":null}',
  'message_id":0, twice "message_id":0,',
  'unicode: Tiếng Việt, 漢字, emoji 🎉👩‍💻, \u2028 \u2029',
  // Lone surrogates, which JSON lets a client send: the row holds U+FFFD for each, and so must the event.
  'lone \ud800 and \udfff surrogates',
  '0',
];

it("stores each message as its MessageCreated payload says, byte for byte as Laravel's toArray() of the row", async () => {
  if (!available) return;
  const a = await createUser(t.client);
  const b = await createUser(t.client);
  const ids: number[] = [];
  for (const detail of DETAILS) ids.push(Number((await sendMessage(t.client, a.token, b.id, detail)).id));

  const { rows } = await db.query<Record<string, string | number>>(
    `SELECT message_id, detail, status, sender_id, receiver_id, ${laravelTimestampSql('created_at')}, ${laravelTimestampSql('updated_at')}
       FROM messages WHERE message_id = ANY($1::int[]) ORDER BY message_id`,
    [ids],
  );
  expect(rows.map((row) => row.detail)).toEqual(DETAILS.map((detail) => detail.toWellFormed()));
  const payloads = await eventually(async () => {
    const { rows: events } = await db.query<{ payload: string; recipient_ids: number[] }>(
      `SELECT payload, recipient_ids FROM event_outbox
        WHERE event_name = 'MessageCreated' AND (payload::json->'model'->>'message_id')::int = ANY($1::int[])
        ORDER BY event_id`,
      [ids],
    );
    expect(events).toHaveLength(ids.length);
    return events;
  });
  expect(payloads.map((event) => event.payload)).toEqual(
    rows.map((row) => JSON.stringify({ model: row, connection: null, queue: null })),
  );
  expect(payloads.map((event) => event.recipient_ids)).toEqual(ids.map(() => [Number(b.id)]));
});
