import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendMessage } from '../fixtures/messages';
import { createUser, type TestUser } from '../fixtures/users';
import { LegacyPusherClient, messageChannel } from '../support/legacy-pusher-client';
import { joinPresence, presenceChannel } from '../support/presence';
import { SHARED_DATABASE_URL, SHARED_REDIS_URL, sharedServicesAvailable } from '../support/shared-services';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually, SETTLE_MS, sleep } from '../support/wait';
import { startWebhookReceiver } from '../support/webhook-receiver';

let available = false;
let first: TestServer;
let second: TestServer;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let spare: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  available = await sharedServicesAvailable();
  if (!available) return;
  // The first post to the second URL fails: it is retried, and the first URL is not held back meanwhile.
  receiver = await startWebhookReceiver('app-secret');
  spare = await startWebhookReceiver('app-secret', 1);
  const env = {
    DATABASE_URL: SHARED_DATABASE_URL,
    REDIS_URL: SHARED_REDIS_URL,
    PUSHER_WEBHOOK_URL: `${receiver.url},${spare.url}`,
  };
  first = await startTestServer({ env });
  second = await startTestServer({ env, keepDatabase: true });
});
afterAll(async () => {
  await second?.close();
  await first?.close();
  await receiver?.close();
  await spare?.close();
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

const about = (channel: string) => () => receiver.events().filter((event) => event.channel === channel);

it('posts channel_occupied and channel_vacated once for a channel held on two instances, signed, in Pusher\u2019s body', async () => {
  if (!available) return;
  const a = await createUser(first.client);
  const lobby = `lobby-${a.id}`;
  const events = about(lobby);
  const one = legacy(first, a);
  const two = legacy(second, a);
  await one.subscribe(lobby);
  await eventually(() => expect(events()).toEqual([{ name: 'channel_occupied', channel: lobby }]));
  await two.subscribe(lobby);
  one.disconnect();
  await sleep(SETTLE_MS);
  expect(events()).toHaveLength(1);
  two.disconnect();
  await eventually(() =>
    expect(events()).toEqual([
      { name: 'channel_occupied', channel: lobby },
      { name: 'channel_vacated', channel: lobby },
    ]),
  );
  await sleep(SETTLE_MS);
  expect(events()).toHaveLength(2);
  const posts = receiver.received.filter((post) => post.body.events.some((event) => event.channel === lobby));
  for (const post of posts) {
    expect(post).toMatchObject({ key: 'app-key', signed: true });
    expect(Math.abs(post.body.time_ms - Date.now())).toBeLessThan(60_000);
  }
  // The failing URL got them too, once it answered 200.
  await eventually(() =>
    expect(spare.events().filter((event) => event.channel === lobby)).toEqual([
      { name: 'channel_occupied', channel: lobby },
      { name: 'channel_vacated', channel: lobby },
    ]),
  );
  expect(spare.received[0].status).toBe(500);
});

it('posts member_added and member_removed once per member of a presence channel across instances', async () => {
  if (!available) return;
  const a = await createUser(first.client);
  const b = await createUser(first.client);
  await sendMessage(first.client, b.token, a.id, 'hello');
  const room = presenceChannel(b.id);
  const events = about(room);
  const owner = legacy(first, b);
  const ownerElsewhere = legacy(second, b);
  const watcher = legacy(second, a);
  await joinPresence(owner, room);
  await joinPresence(ownerElsewhere, room);
  await joinPresence(watcher, room);
  await eventually(() =>
    expect(events()).toEqual([
      { name: 'channel_occupied', channel: room },
      { name: 'member_added', channel: room, user_id: b.id },
      { name: 'member_added', channel: room, user_id: a.id },
    ]),
  );
  watcher.disconnect();
  owner.disconnect();
  await eventually(() =>
    expect(events().slice(3)).toEqual([{ name: 'member_removed', channel: room, user_id: a.id }]),
  );
  ownerElsewhere.disconnect();
  await eventually(() =>
    expect(new Set(events().slice(4))).toEqual(
      new Set([
        { name: 'member_removed', channel: room, user_id: b.id },
        { name: 'channel_vacated', channel: room },
      ]),
    ),
  );
});

it('posts client_event with the sender\u2019s socket id, and its user_id on a presence channel', async () => {
  if (!available) return;
  const a = await createUser(first.client);
  const b = await createUser(first.client);
  await sendMessage(first.client, b.token, a.id, 'hello');
  const room = presenceChannel(b.id);
  const sender = legacy(first, a);
  await joinPresence(sender, room);
  await joinPresence(legacy(second, b), room);
  sender.pusher.channel(room).trigger('client-typing', { typing: true });
  await eventually(() =>
    expect(about(room)().filter((event) => event.name === 'client_event')).toEqual([
      {
        name: 'client_event',
        channel: room,
        event: 'client-typing',
        data: '{"typing":true}',
        socket_id: sender.pusher.connection.socket_id,
        user_id: a.id,
      },
    ]),
  );
});

it('a receiver that never answers holds back neither delivery nor the other URL', async () => {
  if (!available) return;
  const a = await createUser(first.client);
  const b = await createUser(first.client);
  const hanging = http.createServer(() => undefined);
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  const port = (hanging.address() as AddressInfo).port;
  const stuck = await startTestServer({
    env: {
      DATABASE_URL: SHARED_DATABASE_URL,
      REDIS_URL: SHARED_REDIS_URL,
      PUSHER_WEBHOOK_URL: `http://127.0.0.1:${port}/hook,${receiver.url}`,
    },
    keepDatabase: true,
  });
  try {
    const client = legacy(stuck, b);
    await client.subscribe(messageChannel(b.id));
    await sendMessage(stuck.client, a.token, b.id, 'through');
    await eventually(() => expect(client.events('MessageCreated')).toHaveLength(1));
    await eventually(() =>
      expect(about(messageChannel(b.id))()).toEqual([
        { name: 'channel_occupied', channel: messageChannel(b.id) },
      ]),
    );
  } finally {
    hanging.closeAllConnections();
    hanging.close();
    await stuck.close();
  }
});
