import { Client } from 'pg';
import { SEND } from '../fixtures/messages';
import { createUser, type TestUser } from '../fixtures/users';
import { GraphQLClient } from '../support/graphql-client';
import { outsidePusherEnv, startPusherService } from '../support/pusher-service';
import { SHARED_DATABASE_URL, sharedServicesAvailable } from '../support/shared-services';
import { ensureBuilt, feedInstanceOf, type SpawnedServer } from '../support/spawned-server';
import { running, SpawnedInstances } from '../support/spawned-instances';
import { resetDatabase } from '../support/test-server';
import { eventually, SETTLE_MS, sleep } from '../support/wait';

// Instances feeding an outside Pusher service share its partitions (PUSHER_FEED_PARTITIONS, default 12): two split
// them, a third joins and gets its share, then leaves (SIGTERM: its partitions are released at once; SIGKILL: taken
// once its lease expires), while messages stream in through every instance. Every committed event reaches the
// service. The only duplicates allowed are events an owner may have sent but not yet recorded when it lost its
// partition: after the killed instance's last recorded position, in its partitions. A partition handed over by a
// balance or a graceful stop goes at a batch boundary with its position recorded, so those bring none.

const PARTITIONS = 12;
/** Long enough that a takeover well inside it can only be the release of a graceful stop. */
const LEASE_MS = 8000;

let available = false;
const instances = new SpawnedInstances();

beforeAll(async () => {
  available = await sharedServicesAvailable();
  if (available) ensureBuilt();
}, 180_000);
afterEach(() => instances.cleanUp());
afterAll(() => instances.removeDataDirs());

async function query<T>(sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: SHARED_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** How many partitions each instance holds under a lease not yet expired. */
async function ownership(): Promise<Record<string, number>> {
  const rows = await query<{ owner: string; held: number }>(
    `SELECT owner, count(*)::int AS held FROM event_feed_partitions
      WHERE owner IS NOT NULL AND lease_until > now() GROUP BY owner`,
  );
  return Object.fromEntries(rows.map((row) => [row.owner, row.held]));
}

/** Sends messages through `server` to the receivers in turn, for as long as it runs and `writing()` says so. */
async function stream(server: SpawnedServer, from: TestUser, to: TestUser[], writing: () => boolean) {
  const client = new GraphQLClient(`${server.url}/graphql`);
  for (let i = 0; writing() && running(server); i++) {
    try {
      await client.request(SEND, { to: to[i % to.length].id, detail: `via ${server.port} ${i}` }, from.token);
    } catch {
      await sleep(50); // stopping or killed: its own stream ends with it
    }
  }
}

/** Each committed message's event once per recipient, keyed as the service records it; waits for the sequencing. */
async function committed(): Promise<Map<string, { eventId: bigint; recipient: number }>> {
  return eventually(async () => {
    const rows = await query<{ event_id: string; recipient: number; payload: string }>(
      `SELECT e.event_id::text, r AS recipient, e.payload FROM event_outbox AS e, unnest(e.recipient_ids) AS r
        WHERE e.event_name = 'MessageCreated' ORDER BY e.event_id`,
    );
    const [{ events, messages }] = await query<{ events: number; messages: number }>(
      `SELECT (SELECT count(*)::int FROM event_outbox WHERE event_name = 'MessageCreated') AS events,
              (SELECT count(*)::int FROM messages) AS messages`,
    );
    expect(events).toBe(messages);
    return new Map(
      rows.map((row) => [
        `private-MessageChannel.User.${row.recipient} ${row.payload}`,
        { eventId: BigInt(row.event_id), recipient: row.recipient },
      ]),
    );
  }, 10_000);
}

it.each(['SIGTERM', 'SIGKILL'] as const)(
  'two instances share the feed, a third joins and gets its share, then leaves by %s: every event reaches the service',
  async (signal) => {
    if (!available) return;
    await resetDatabase(SHARED_DATABASE_URL);
    const service = await startPusherService();
    instances.later(() => service.close());
    const env = { ...outsidePusherEnv(service.port), PUSHER_FEED_LEASE_MS: String(LEASE_MS) };
    const first = await instances.spawn(env);
    const second = await instances.spawn(env);
    const [one, two] = [feedInstanceOf(first), feedInstanceOf(second)];
    const client = new GraphQLClient(`${first.url}/graphql`);
    const sender = await createUser(client);
    const receivers: TestUser[] = [];
    for (let i = 0; i < PARTITIONS; i++) receivers.push(await createUser(client));
    // Consecutive ids: one receiver in every partition.
    expect(new Set(receivers.map((user) => Number(user.id) % PARTITIONS)).size).toBe(PARTITIONS);

    let writing = true;
    const streams = [first, second].map((server) => stream(server, sender, receivers, () => writing));
    await eventually(async () => expect(await ownership()).toEqual({ [one]: 6, [two]: 6 }), 15_000);

    // An instance with another partition count would split the recipients differently and skip events.
    if (signal === 'SIGTERM') {
      await expect(instances.spawn({ ...env, PUSHER_FEED_PARTITIONS: '4' })).rejects.toThrow(
        /PUSHER_FEED_PARTITIONS is 4 here but 12 on 2 live instance/,
      );
    }

    const third = await instances.spawn(env);
    const three = feedInstanceOf(third);
    streams.push(stream(third, sender, receivers, () => writing));
    const joined = Date.now();
    await eventually(
      async () => expect(await ownership()).toEqual({ [one]: 4, [two]: 4, [three]: 4 }),
      10_000,
    );
    expect(Date.now() - joined).toBeLessThan(10_000);
    await sleep(1500); // messages go out through three owners for a while

    third.child.kill(signal);
    const exit = await third.exited;
    // What the killed instance had recorded when it died; after that, in its partitions, it may have sent more.
    const lastRecorded =
      signal === 'SIGKILL'
        ? await query<{ partition_no: number; position: string }>(
            'SELECT partition_no, position::text FROM event_feed_partitions WHERE owner = $1',
            [three],
          )
        : [];
    if (signal === 'SIGTERM') expect(exit.code).toBe(0);
    else expect(lastRecorded).toHaveLength(4);
    const left = Date.now();
    await eventually(
      async () => expect(await ownership()).toEqual({ [one]: 6, [two]: 6 }),
      signal === 'SIGTERM' ? LEASE_MS - 2000 : LEASE_MS + 10_000,
    );
    // A graceful stop hands its partitions over within a poll or two; a killed one's wait for its leases.
    if (signal === 'SIGKILL') expect(Date.now() - left).toBeGreaterThan(LEASE_MS - 2000);
    await sleep(1500);
    writing = false;
    await Promise.all(streams);

    const expected = await committed();
    // The stream went on through the leave and the takeover (how fast it goes depends on the machine).
    const [{ after }] = await query<{ after: number }>(
      'SELECT count(*)::int AS after FROM messages WHERE created_at > $1',
      [new Date(left)],
    );
    expect(after).toBeGreaterThan(0);
    expect(expected.size).toBeGreaterThan(30);
    const received = () =>
      service.received
        .filter((broadcast) => broadcast.event === 'MessageCreated')
        .map((broadcast) => `${broadcast.channel} ${broadcast.data}`);
    await eventually(() => {
      const got = new Set(received());
      expect([...expected.keys()].filter((key) => !got.has(key))).toEqual([]);
    }, 30_000);
    await sleep(SETTLE_MS);

    const seen = new Map<string, number>();
    for (const key of received()) seen.set(key, (seen.get(key) ?? 0) + 1);
    expect([...seen.keys()].filter((key) => !expected.has(key))).toEqual([]);
    const mayRepeat = (key: string) => {
      const { eventId, recipient } = expected.get(key)!;
      const held = lastRecorded.find((row) => row.partition_no === recipient % PARTITIONS);
      return held !== undefined && eventId > BigInt(held.position);
    };
    const duplicates = [...seen].filter(([, count]) => count > 1).map(([key]) => key);
    expect(duplicates.filter((key) => !mayRepeat(key))).toEqual([]);
  },
  180_000,
);
