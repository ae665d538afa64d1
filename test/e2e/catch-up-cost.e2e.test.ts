import { sendMessage } from '../fixtures/messages';
import { createUser } from '../fixtures/users';
import { catchUp, EVENT_FIELDS, newestEventId } from '../support/catch-up';
import { startTestServer, type TestServer } from '../support/test-server';

// Many other users' events in the log: 1.5 million on PostgreSQL, fewer on the embedded one (same plan, less wait).
const OTHERS = process.env.DATABASE_URL ? 1_500_000 : 50_000;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  // Straight into the log and its index, as the sequencing writes them, for users 1,000,000 and up (no one here).
  await t.server.database.dataSource.transaction(async (manager) => {
    await manager.query('SET LOCAL statement_timeout = 0');
    await manager.query(
      `WITH logged AS (
       INSERT INTO event_outbox (event_name, recipient_ids, payload)
       SELECT 'MessageCreated', ARRAY[1000000 + g % 5000], '{"model":{},"connection":null,"queue":null}'
         FROM generate_series(1, $1) AS g
       RETURNING event_id, recipient_ids)
     INSERT INTO event_recipients (user_id, event_id) SELECT recipient_ids[1], event_id FROM logged`,
      [OTHERS],
    );
  });
  await t.server.database.dataSource.query('ANALYZE event_outbox; ANALYZE event_recipients');
}, 600_000);
afterAll(async () => {
  await t.close();
});

it("a catch-up reads the user's own events through their index, whatever the others' events", async () => {
  const a = await createUser(t.client);
  const b = await createUser(t.client);
  const start = await newestEventId(t.client, b.token);
  const sent = [];
  for (let i = 0; i < 3; i++) sent.push((await sendMessage(t.client, a.token, b.id, `among many ${i}`)).id);
  const { events } = await catchUp(t.client, b.token, start, 1);
  expect(events.map((event) => event.message?.id)).toEqual(sent);

  const [plan] = (await t.server.database.dataSource.query(
    `EXPLAIN (FORMAT JSON)
     SELECT e.event_id FROM event_recipients AS r JOIN event_outbox AS e USING (event_id)
      WHERE r.user_id = $1 AND r.event_id > $2 ORDER BY r.event_id LIMIT 2`,
    [Number(b.id), start],
  )) as { 'QUERY PLAN': unknown }[];
  const text = JSON.stringify(plan['QUERY PLAN']);
  // One index range of this user's rows, then each event by its key: no scan of the log.
  expect(text).toContain('PK_event_recipients');
  expect(text).not.toContain('Seq Scan');
  // A bystander's request answers while catch-ups run.
  const catchUps = Array.from({ length: 5 }, () => catchUp(t.client, b.token, start, 1));
  const me = await t.client.ok<{ me: { id: string } }>('{ me { id } }', {}, a.token);
  expect(me.me.id).toBe(a.id);
  await Promise.all(catchUps);
}, 120_000);

it('prices realtimeEvents by its first: twenty full pages in one request are refused, small ones pass', async () => {
  const b = await createUser(t.client);
  const aliases = (first: number) =>
    Array.from(
      { length: 20 },
      (_, i) => `p${i}: realtimeEvents(after: "0", first: ${first}) { events { ${EVENT_FIELDS} } lastId }`,
    ).join(' ');
  const refused = await t.client.request(`{ ${aliases(100)} }`, {}, b.token);
  expect(refused.errors?.[0].message).toMatch(/too expensive/);
  expect(refused.data).toBeUndefined();
  const allowed = await t.client.request(`{ ${aliases(1)} }`, {}, b.token);
  expect(allowed.errors).toBeUndefined();
});
