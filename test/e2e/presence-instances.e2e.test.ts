import { Redis } from 'ioredis';
import { sendMessage } from '../fixtures/messages';
import { createUser, type TestUser } from '../fixtures/users';
import { LegacyPusherClient, messageChannel } from '../support/legacy-pusher-client';
import {
  joinPresence,
  PRESENCE,
  PRESENCE_CHANGED,
  presenceChannel,
  type PresenceState,
  TYPING,
} from '../support/presence';
import {
  SHARED_DATABASE_URL,
  SHARED_REDIS_PREFIX,
  SHARED_REDIS_URL,
  sharedServicesAvailable,
} from '../support/shared-services';
import { SubscriptionClient } from '../support/subscription-client';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually, SETTLE_MS, sleep } from '../support/wait';

const shared = { DATABASE_URL: SHARED_DATABASE_URL, REDIS_URL: SHARED_REDIS_URL };

let available = false;
let first: TestServer;
let second: TestServer;

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

async function contacts(): Promise<[TestUser, TestUser]> {
  const a = await createUser(first.client);
  const b = await createUser(first.client);
  await sendMessage(first.client, a.token, b.id, 'hello');
  await sendMessage(first.client, b.token, a.id, 'hello back');
  return [a, b];
}

const legacy = (server: TestServer, user: TestUser) =>
  new LegacyPusherClient({
    wsPort: server.server.port,
    authUrl: `${server.url}/broadcasting/auth`,
    token: user.token,
  });

async function online(server: TestServer, viewer: TestUser, user: TestUser): Promise<boolean> {
  const { presence } = await server.client.ok<{ presence: PresenceState[] }>(
    PRESENCE,
    { ids: [user.id] },
    viewer.token,
  );
  return presence[0].online;
}

it('two tabs on two instances (graphql-ws, pusher-js): closing one keeps the user online, closing both sends one offline', async () => {
  if (!available) return;
  const [a, b] = await contacts();
  // A watcher on each instance: each change reaches both, once.
  const watchers = [new SubscriptionClient(first.url, a.token), new SubscriptionClient(second.url, a.token)];
  for (const watcher of watchers) await watcher.subscribe('presenceChanged', PRESENCE_CHANGED([b.id]));
  const graphqlTab = new SubscriptionClient(first.url, b.token);
  const pusherTab = legacy(second, b);
  const changes = (i: number) => watchers[i].results<PresenceState>('presenceChanged');
  try {
    await graphqlTab.subscribe('messageCreated', 'subscription { messageCreated { id } }');
    await pusherTab.subscribe(messageChannel(b.id));
    await eventually(() => expect([changes(0).length, changes(1).length]).toEqual([1, 1]));
    expect(changes(0)[0]).toMatchObject({ userId: b.id, online: true });

    await graphqlTab.close();
    await sleep(SETTLE_MS);
    expect([changes(0).length, changes(1).length]).toEqual([1, 1]);
    expect(await online(first, a, b)).toBe(true);
    expect(await online(second, a, b)).toBe(true);

    pusherTab.disconnect();
    await eventually(() => expect([changes(0).length, changes(1).length]).toEqual([2, 2]));
    await sleep(SETTLE_MS);
    expect([changes(0).length, changes(1).length]).toEqual([2, 2]);
    expect(changes(0)[1]).toEqual({ userId: b.id, online: false, lastSeenAt: expect.any(String) });
    expect(changes(1)[1]).toEqual(changes(0)[1]);
    expect(await online(first, a, b)).toBe(false);
    expect(await online(second, a, b)).toBe(false);
  } finally {
    pusherTab.disconnect();
    await graphqlTab.close();
    for (const watcher of watchers) await watcher.close();
  }
});

it('an instance that stops cleanly takes its users offline as it stops, announced on the others', async () => {
  if (!available) return;
  const [a, b] = await contacts();
  const third = await startTestServer({ env: shared, keepDatabase: true });
  const watcher = new SubscriptionClient(first.url, a.token);
  let tab: SubscriptionClient | undefined;
  try {
    await watcher.subscribe('presenceChanged', PRESENCE_CHANGED([b.id]));
    tab = new SubscriptionClient(third.url, b.token);
    await tab.subscribe('messageCreated', 'subscription { messageCreated { id } }');
    await eventually(() => expect(watcher.results('presenceChanged')).toHaveLength(1));
    await third.close();
    await eventually(() => expect(watcher.results('presenceChanged')).toHaveLength(2));
    expect(watcher.results<PresenceState>('presenceChanged')[1]).toMatchObject({ online: false });
    expect(await online(second, a, b)).toBe(false);
  } finally {
    await tab?.close();
    await watcher.close();
  }
});

it('a presence channel lists and announces members of every instance', async () => {
  if (!available) return;
  const [a, b] = await contacts();
  const watcher = legacy(first, a);
  const owner = legacy(second, b);
  try {
    const watching = await joinPresence(watcher, presenceChannel(b.id));
    const own = await joinPresence(owner, presenceChannel(b.id));
    expect(own.ids()).toEqual([b.id]);
    await eventually(() => expect(watching.added.map((m) => m.id)).toEqual([b.id]));
    owner.disconnect();
    await eventually(() => expect(watching.removed.map((m) => m.id)).toEqual([b.id]));
    await sleep(SETTLE_MS);
    expect(watching.added).toHaveLength(1);
    expect(watching.removed).toHaveLength(1);
  } finally {
    owner.disconnect();
    watcher.disconnect();
  }
});

it('typing calls spread over both instances: at most 2 events in 2 s, then one typing: false, each sent once', async () => {
  if (!available) return;
  const typist = await createUser(first.client);
  const receiver = await createUser(first.client);
  // Typing goes only to someone who has written to the typist.
  await sendMessage(first.client, receiver.token, typist.id, 'hi');
  const gql = new SubscriptionClient(first.url, receiver.token);
  await gql.subscribe('typingChanged', 'subscription { typingChanged { userId typing } }');
  const pusherClient = legacy(second, receiver);
  await pusherClient.subscribe(messageChannel(receiver.id));
  // Count what crosses Redis: every Pusher event the built-in endpoints get is broadcast there once.
  const watcher = new Redis(SHARED_REDIS_URL);
  const broadcasts: string[] = [];
  try {
    await watcher.subscribe(`${SHARED_REDIS_PREFIX}pusher-broadcast`);
    watcher.on('message', (_channel: string, text: string) => {
      if (text.includes('"Typing"')) broadcasts.push(text);
    });
    const servers = [first, second];
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        sleep(i * 40).then(() => servers[i % 2].client.ok(TYPING, { to: receiver.id }, typist.token)),
      ),
    );
    const changes = () => gql.results<{ userId: string; typing: boolean }>('typingChanged');
    await eventually(() => expect(changes().filter((c) => !c.typing)).toHaveLength(1), 15_000);
    await sleep(SETTLE_MS);
    const started = changes().filter((c) => c.typing);
    expect(started.length).toBeGreaterThanOrEqual(1);
    expect(started.length).toBeLessThanOrEqual(2);
    expect(changes()).toEqual([...started, { userId: typist.id, typing: false }]);
    expect(pusherClient.events('Typing')).toHaveLength(changes().length);
    expect(broadcasts).toHaveLength(changes().length);
  } finally {
    watcher.disconnect();
    pusherClient.disconnect();
    await gql.close();
  }
}, 30_000);

it('changes still arrive after Redis loses the presence version counter', async () => {
  if (!available) return;
  const [a, b] = await contacts();
  const watcher = new SubscriptionClient(second.url, a.token);
  const states = () => watcher.results<PresenceState>('presenceChanged').map((change) => change.online);
  const redis = new Redis(SHARED_REDIS_URL);
  let tab: SubscriptionClient | undefined;
  try {
    await watcher.subscribe('presenceChanged', PRESENCE_CHANGED([b.id]));
    // The socket opens as the client is made: b comes online then.
    tab = new SubscriptionClient(first.url, b.token);
    await tab.subscribe('messageCreated', 'subscription { messageCreated { id } }');
    await eventually(() => expect(states()).toEqual([true]));
    await tab.close();
    await eventually(() => expect(states()).toEqual([true, false]));
    // As after a Redis restart without persistence, a failover or an eviction (this run's prefix only).
    await redis.del(`${SHARED_REDIS_PREFIX}presence:version`);
    tab = new SubscriptionClient(first.url, b.token);
    await tab.subscribe('messageCreated', 'subscription { messageCreated { id } }');
    await eventually(() => expect(states()).toEqual([true, false, true]));
    expect(await online(second, a, b)).toBe(true);
    await tab.close();
    await eventually(() => expect(states()).toEqual([true, false, true, false]));
  } finally {
    redis.disconnect();
    await tab?.close();
    await watcher.close();
  }
});
