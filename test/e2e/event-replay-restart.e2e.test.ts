import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sendMessage } from '../fixtures/messages';
import { createUser, type TestUser } from '../fixtures/users';
import { catchUp, type EventData, newestEventId, REALTIME_EVENTS, RESUME } from '../support/catch-up';
import type { GraphQLClient } from '../support/graphql-client';
import { SHARED_DATABASE_URL, SHARED_REDIS_URL, sharedServicesAvailable } from '../support/shared-services';
import { SubscriptionClient } from '../support/subscription-client';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually, SETTLE_MS, sleep } from '../support/wait';

async function sendMany(client: GraphQLClient, from: TestUser, to: TestUser, count: number, label: string) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push((await sendMessage(client, from.token, to.id, `${label} ${i}`)).id);
  return ids;
}

const messageIds = (events: EventData[]) => events.map((event) => event.message?.id);

/** Subscribes from `after` and returns what arrived once `count` events have, after a pause for strays. */
async function resume(
  server: TestServer,
  user: TestUser,
  after: string,
  count: number,
  then?: () => Promise<unknown>,
) {
  const client = new SubscriptionClient(server.url, user.token);
  try {
    await client.subscribe('realtimeEvents', RESUME(after));
    await then?.();
    await eventually(() => expect(client.results('realtimeEvents')).toHaveLength(count), 20_000);
    await sleep(SETTLE_MS);
    expect(client.failures('realtimeEvents')).toEqual([]);
    return client.results<EventData>('realtimeEvents');
  } finally {
    await client.close();
  }
}

it('a client resumes across a server restart with all it missed, in order, none twice; pruned events then expire', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-replay-'));
  let server = await startTestServer({ dataDir });
  try {
    const a = await createUser(server.client);
    const b = await createUser(server.client);
    const start = await newestEventId(server.client, b.token);
    const [seen] = await resume(server, b, start, 1, () =>
      sendMessage(server.client, a.token, b.id, 'seen live'),
    );
    const beforeRestart = await sendMany(server.client, a, b, 10, 'before the restart');
    await server.close();

    server = await startTestServer({ dataDir, keepDatabase: true });
    const afterRestart = await sendMany(server.client, a, b, 10, 'after the restart');
    const events = await resume(server, b, seen.id, 21, () =>
      sendMessage(server.client, a.token, b.id, 'live'),
    );
    expect(messageIds(events.slice(0, 20))).toEqual([...beforeRestart, ...afterRestart]);
    expect(events[20].message?.detail).toBe('live');

    // Delivered events older than retention are pruned by the next server: resuming from before them expires,
    // from the newest position does not.
    await server.server.database.dataSource.query(
      `UPDATE event_outbox SET created_at = now() - interval '100 hours'
        WHERE recipient_ids @> ARRAY[$1::int]`,
      [Number(b.id)],
    );
    const newest = await newestEventId(server.client, b.token);
    await server.close();
    server = await startTestServer({ dataDir, keepDatabase: true });
    const dataSource = server.server.database.dataSource;
    await eventually(async () => {
      const [{ left }] = (await dataSource.query(
        'SELECT count(*)::int AS left FROM event_outbox WHERE recipient_ids @> ARRAY[$1::int]',
        [Number(b.id)],
      )) as { left: number }[];
      expect(left).toBe(0);
    });
    const expired = await server.client.fails(REALTIME_EVENTS, { after: seen.id }, b.token);
    expect(expired.extensions?.code).toBe('CURSOR_EXPIRED');
    // The newest position survives pruning, and a client that had caught up resumes from it.
    expect(await newestEventId(server.client, b.token)).toBe(newest);
    expect(await catchUp(server.client, b.token, newest)).toEqual({ events: [], lastId: newest });
  } finally {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}, 120_000);

describe('two instances sharing PostgreSQL and Redis', () => {
  let available = false;
  let first: TestServer | undefined;
  let second: TestServer | undefined;
  const shared = { DATABASE_URL: SHARED_DATABASE_URL, REDIS_URL: SHARED_REDIS_URL };

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

  it('a client of one instance resumes with the 20 messages written through the other, then live ones', async () => {
    if (!available || !first || !second) return;
    const one = first;
    const a = await createUser(one.client);
    const b = await createUser(one.client);
    const start = await newestEventId(second.client, b.token);
    const [seen] = await resume(second, b, start, 1, () => sendMessage(one.client, a.token, b.id, 'seen'));
    const missed = await sendMany(one.client, a, b, 20, 'while away');
    const events = await resume(second, b, seen.id, 22, () => sendMany(one.client, a, b, 2, 'live'));
    expect(messageIds(events.slice(0, 20))).toEqual(missed);
    expect(events.slice(20).map((e) => e.message?.detail)).toEqual(['live 0', 'live 1']);
    const ids = events.map((e) => BigInt(e.id));
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1])).toBe(true);
  });

  it('unread counters reach devices on both instances, once per change', async () => {
    if (!available || !first || !second) return;
    const one = first;
    const a = await createUser(one.client);
    const b = await createUser(one.client);
    const query = 'subscription { unreadCountsChanged { unseenMessages unseenConversations } }';
    const phone = new SubscriptionClient(one.url, b.token);
    const laptop = new SubscriptionClient(second.url, b.token);
    try {
      await phone.subscribe('unreadCountsChanged', query);
      await laptop.subscribe('unreadCountsChanged', query);
      await sendMany(one.client, a, b, 2, 'counted');
      await second.client.ok(
        'mutation M($o: ID!) { markConversationSeen(otherUserId: $o) }',
        { o: a.id },
        b.token,
      );
      const expected = [
        { unseenMessages: 1, unseenConversations: 1 },
        { unseenMessages: 2, unseenConversations: 1 },
        { unseenMessages: 0, unseenConversations: 0 },
      ];
      await eventually(() => expect(laptop.results('unreadCountsChanged')).toHaveLength(3));
      await eventually(() => expect(phone.results('unreadCountsChanged')).toHaveLength(3));
      await sleep(SETTLE_MS);
      expect(phone.results('unreadCountsChanged')).toEqual(expected);
      expect(laptop.results('unreadCountsChanged')).toEqual(expected);
    } finally {
      await phone.close();
      await laptop.close();
    }
  });
});
