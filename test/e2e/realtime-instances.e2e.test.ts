import { Client } from 'pg';
import { Redis } from 'ioredis';
import { sendMessage } from '../fixtures/messages';
import { createUser } from '../fixtures/users';
import { LegacyPusherClient, messageChannel } from '../support/legacy-pusher-client';
import {
  SHARED_DATABASE_URL,
  SHARED_REDIS_PREFIX,
  SHARED_REDIS_URL,
  sharedServicesAvailable,
} from '../support/shared-services';
import { SubscriptionClient } from '../support/subscription-client';
import { resetDatabase, startTestServer, type TestServer } from '../support/test-server';
import { eventually, SETTLE_MS, sleep } from '../support/wait';

const shared = { DATABASE_URL: SHARED_DATABASE_URL, REDIS_URL: SHARED_REDIS_URL };

let available = false;
let first: TestServer | undefined;
let second: TestServer | undefined;

beforeAll(async () => {
  available = await sharedServicesAvailable();
  if (!available) return;
  first = await startTestServer({ env: shared });
  second = await startTestServer({ env: shared, keepDatabase: true });
});
afterAll(async () => {
  await second?.close();
  await first?.close();
});

it('a change written through one instance reaches pusher-js and graphql-ws clients of another exactly once', async () => {
  if (!available || !first || !second) return;
  const a = await createUser(first.client);
  const b = await createUser(first.client);
  const legacy = new LegacyPusherClient({
    wsPort: second.server.port,
    authUrl: `${second.url}/broadcasting/auth`,
    token: b.token,
  });
  const gql = new SubscriptionClient(second.url, b.token);
  // Count what crosses Redis: committed events reach every instance's sockets from the event log, never over it.
  const watcher = new Redis(SHARED_REDIS_URL);
  const broadcasts: string[] = [];
  try {
    await watcher.subscribe(`${SHARED_REDIS_PREFIX}pusher-broadcast`);
    watcher.on('message', (_channel: string, text: string) => broadcasts.push(text));
    await legacy.subscribe(messageChannel(b.id));
    await gql.subscribe('messageCreated', 'subscription { messageCreated { id detail } }');

    const sent = await sendMessage(first.client, a.token, b.id, 'across instances');

    await eventually(() => expect(legacy.events('MessageCreated')).toHaveLength(1));
    await eventually(() => expect(gql.results('messageCreated')).toHaveLength(1));
    await sleep(SETTLE_MS * 2);
    expect(legacy.events('MessageCreated')).toHaveLength(1);
    expect(legacy.events('MessageCreated')[0].data.model.message_id).toBe(Number(sent.id));
    expect(gql.results('messageCreated')).toEqual([{ id: sent.id, detail: 'across instances' }]);
    expect(broadcasts.filter((text) => text.includes('"MessageCreated"'))).toHaveLength(0);
  } finally {
    legacy.disconnect();
    await gql.close();
    watcher.disconnect();
  }
});

it('a logout on one instance closes the sockets on another', async () => {
  if (!available || !first || !second) return;
  const a = await createUser(first.client);
  const gql = new SubscriptionClient(second.url, a.token);
  try {
    await gql.subscribe('messageCreated', 'subscription { messageCreated { id } }');
    await first.client.ok('mutation { logout }', {}, a.token);
    await eventually(() => expect(gql.closes).toEqual([4403]));
  } finally {
    await gql.close();
  }
});

it('two instances starting together on an empty database both start, with one admin between them', async () => {
  if (!available) return;
  for (let round = 0; round < 3; round++) {
    await resetDatabase(SHARED_DATABASE_URL);
    const started = await Promise.allSettled([
      startTestServer({ env: shared, keepDatabase: true }),
      startTestServer({ env: shared, keepDatabase: true }),
    ]);
    try {
      expect(started.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled']);
      const sql = new Client({ connectionString: SHARED_DATABASE_URL });
      await sql.connect();
      const { rows } = await sql.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM users WHERE role = 'admin'",
      );
      await sql.end();
      expect(rows[0].n).toBe(1);
    } finally {
      for (const outcome of started) if (outcome.status === 'fulfilled') await outcome.value.close();
    }
  }
});

it('without Redis, a NOTIFY from the sequencing wakes another instance at once, not its poll', async () => {
  if (!available) return;
  // Polls a minute apart: only the notice can deliver within the wait below.
  const pgOnly = { DATABASE_URL: SHARED_DATABASE_URL, REDIS_URL: undefined, EVENT_POLL_INTERVAL_MS: '60000' };
  const writer = await startTestServer({ env: pgOnly, keepDatabase: true });
  const reader = await startTestServer({ env: pgOnly, keepDatabase: true });
  try {
    const a = await createUser(writer.client);
    const b = await createUser(writer.client);
    const gql = new SubscriptionClient(reader.url, b.token);
    const pusher = new LegacyPusherClient({
      wsPort: reader.server.port,
      authUrl: `${reader.url}/broadcasting/auth`,
      token: b.token,
    });
    try {
      await gql.subscribe('messageCreated', 'subscription { messageCreated { id detail } }');
      await pusher.subscribe(messageChannel(b.id));
      const sent: string[] = [];
      for (let i = 0; i < 3; i++)
        sent.push((await sendMessage(writer.client, a.token, b.id, `notice ${i}`)).id);
      await eventually(() => {
        expect(gql.results<{ id: string }>('messageCreated').map((m) => m.id)).toEqual(sent);
        expect(pusher.events('MessageCreated').map((e) => String(e.data.model.message_id))).toEqual(sent);
      }, 5000);
    } finally {
      pusher.disconnect();
      await gql.close();
    }
  } finally {
    await reader.close();
    await writer.close();
  }
});
