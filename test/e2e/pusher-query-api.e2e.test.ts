import Pusher from 'pusher';
import { sendMessage } from '../fixtures/messages';
import { createUser, type TestUser } from '../fixtures/users';
import { LegacyPusherClient, messageChannel } from '../support/legacy-pusher-client';
import { joinPresence, presenceChannel } from '../support/presence';
import { SHARED_DATABASE_URL, SHARED_REDIS_URL, sharedServicesAvailable } from '../support/shared-services';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually } from '../support/wait';

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

/** The `pusher` server SDK pointed at one instance, as a backend using this endpoint as its Pusher service. */
const sdk = (server: TestServer, secret = 'app-secret') =>
  new Pusher({
    appId: 'app-id',
    key: 'app-key',
    secret,
    host: '127.0.0.1',
    port: String(server.server.port),
    useTLS: false,
  });

const clients: LegacyPusherClient[] = [];
const legacy = (server: TestServer, user: TestUser) => {
  const client = new LegacyPusherClient({
    wsPort: server.server.port,
    authUrl: `${server.url}/broadcasting/auth`,
    token: user.token,
  });
  clients.push(client);
  return client;
};
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

async function contacts(): Promise<[TestUser, TestUser]> {
  const a = await createUser(first.client);
  const b = await createUser(first.client);
  await sendMessage(first.client, a.token, b.id, 'hello');
  await sendMessage(first.client, b.token, a.id, 'hello back');
  return [a, b];
}

const json = async (response: { json(): Promise<unknown> }) => response.json();

/** What a refused call answers: its status, its content type and its body. */
async function refusal(call: Promise<unknown>) {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof Pusher.RequestError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { status: error.status, body: JSON.parse(error.body ?? 'null') as unknown };
}

it('lists and counts channels, and the users of a presence channel, over both instances', async () => {
  if (!available) return;
  const [a, b] = await contacts();
  const lobby = `lobby-${a.id}`;
  const room = presenceChannel(b.id);
  const onFirst = legacy(first, a);
  const onSecond = legacy(second, b);
  await Promise.all([onFirst.subscribe(lobby), onSecond.subscribe(lobby)]);
  await joinPresence(onFirst, room);
  await joinPresence(onSecond, room);

  const pusher = sdk(first);
  const lobbies = await json(
    await pusher.get({
      path: '/channels',
      params: { filter_by_prefix: lobby, info: 'subscription_count' },
    }),
  );
  expect(lobbies).toEqual({ channels: { [lobby]: { subscription_count: 2 } } });
  const presence = (await json(
    await pusher.get({ path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count' } }),
  )) as { channels: Record<string, unknown> };
  expect(presence.channels[room]).toEqual({ user_count: 2 });

  expect(
    await json(
      await pusher.get({ path: `/channels/${room}`, params: { info: 'user_count,subscription_count' } }),
    ),
  ).toEqual({ occupied: true, user_count: 2, subscription_count: 2 });
  expect(await json(await sdk(second).get({ path: `/channels/${lobby}`, params: {} }))).toEqual({
    occupied: true,
  });
  expect(await json(await pusher.get({ path: `/channels/empty-${a.id}`, params: {} }))).toEqual({
    occupied: false,
  });
  const { users } = (await json(await pusher.get({ path: `/channels/${room}/users`, params: {} }))) as {
    users: { id: string }[];
  };
  expect(users.map((user) => user.id).sort()).toEqual([a.id, b.id].sort());

  // Gone from one instance: the other instance's answer shows it.
  onSecond.disconnect();
  await eventually(async () =>
    expect(
      await json(await pusher.get({ path: `/channels/${lobby}`, params: { info: 'subscription_count' } })),
    ).toEqual({ occupied: true, subscription_count: 1 }),
  );
});

it("terminateUserConnections through one instance closes the user's connections on the other, and only theirs", async () => {
  if (!available) return;
  const [a, b] = await contacts();
  const target = legacy(second, b);
  const bystander = legacy(second, a);
  await target.subscribe(messageChannel(b.id));
  await bystander.subscribe(messageChannel(a.id));
  const closed = new Promise<number>((resolve) =>
    target.pusher.connection.bind('error', (error: { data?: { code?: number } }) =>
      resolve(error.data?.code ?? 0),
    ),
  );
  const response = await sdk(first).terminateUserConnections(b.id);
  expect(response.status).toBe(200);
  expect(await closed).toBe(4009);
  await eventually(() => expect(target.pusher.connection.state).not.toBe('connected'));
  expect(bystander.pusher.connection.state).toBe('connected');
  await sendMessage(first.client, b.token, a.id, 'still here');
  await eventually(() => expect(bystander.events('MessageCreated')).toHaveLength(1));
});

it("refuses with Pusher's JSON errors and their status, never an HTML page", async () => {
  if (!available) return;
  const pusher = sdk(first);
  expect(
    await refusal(
      pusher.get({ path: '/channels', params: { filter_by_prefix: 'private-', info: 'user_count' } }),
    ),
  ).toEqual({ status: 400, body: { error: 'user_count is only for presence channels', code: 400 } });
  expect(await refusal(pusher.get({ path: '/channels/lobby/users', params: {} }))).toMatchObject({
    status: 400,
    body: { code: 400 },
  });
  expect(await refusal(pusher.get({ path: '/channels', params: { info: 'everything' } }))).toMatchObject({
    status: 400,
  });
  expect(await refusal(sdk(first, 'wrong-secret').get({ path: '/channels', params: {} }))).toEqual({
    status: 401,
    body: { error: 'invalid auth_signature', code: 401 },
  });
  expect(await refusal(sdk(first, 'wrong-secret').terminateUserConnections('1'))).toMatchObject({
    status: 401,
  });
  expect(await refusal(pusher.get({ path: '/nothing-here', params: {} }))).toEqual({
    status: 404,
    body: { error: 'not found', code: 404 },
  });
  const unknownApp = await fetch(`${first.url}/apps/other-app/channels`);
  expect(unknownApp.status).toBe(404);
  expect(unknownApp.headers.get('content-type')).toContain('application/json');
  expect(await unknownApp.json()).toEqual({ error: 'unknown app_id', code: 404 });
});
