import { createLegacyUser, legacyLogin, type LegacyUser } from '../fixtures/legacy-users';
import { LegacyHttpClient } from '../support/legacy-http';
import { LegacyPusherClient, messageChannel } from '../support/legacy-pusher-client';
import { SubscriptionClient } from '../support/subscription-client';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually } from '../support/wait';

const MESSAGE_KEYS = [
  'created_at',
  'detail',
  'message_id',
  'receiver_id',
  'sender_id',
  'status',
  'updated_at',
];

interface Row {
  message_id: number;
  detail: string;
  status: string;
  sender_id: number;
  receiver_id: number;
  created_at: string;
  updated_at: string;
}
interface Envelope<T> {
  success: boolean;
  message: string;
  data: T;
  error?: string;
}

let t: TestServer;
let http: LegacyHttpClient;
let admin: { token: string; id: number };
const opened: { close?: () => Promise<void>; disconnect?: () => void }[] = [];

beforeAll(async () => {
  t = await startTestServer();
  http = new LegacyHttpClient(t.url);
  const login = await legacyLogin(http, 'admin@email.com', '12345678');
  admin = { token: login.access_token, id: login.user.user_id };
});
afterEach(async () => {
  for (const client of opened.splice(0)) {
    client.disconnect?.();
    await client.close?.();
  }
});
afterAll(async () => {
  await t.close();
});

async function pusherFor(user: LegacyUser): Promise<LegacyPusherClient> {
  const client = new LegacyPusherClient({
    wsPort: t.server.port,
    authUrl: `${t.url}/broadcasting/auth`,
    token: user.token,
  });
  opened.push(client);
  await client.subscribe(messageChannel(user.id));
  return client;
}

async function socketFor(user: LegacyUser): Promise<SubscriptionClient> {
  const client = new SubscriptionClient(t.url, user.token);
  opened.push(client);
  await client.subscribe('messageCreated', 'subscription { messageCreated { id detail status senderId } }');
  await client.subscribe('messageUpdated', 'subscription { messageUpdated { id status } }');
  return client;
}

async function send(from: LegacyUser, to: LegacyUser, detail: string): Promise<Row> {
  const answer = await http.post<Envelope<Row>>('/chat/create', { receiver_id: to.id, detail }, from.token);
  if (!answer.body.success) throw new Error(JSON.stringify(answer.body));
  return answer.body.data;
}

const refusedEnvelope = (body: Record<string, unknown>) => {
  expect(body).toEqual({ success: false, message: expect.any(String), error: expect.any(String) });
};

describe("a legacy app's day in the chat", () => {
  it('sends, lists, pages back, counts, marks seen and shows the latest chats, with the events on Pusher and graphql-ws', async () => {
    const ann = await createLegacyUser(http);
    const bob = await createLegacyUser(http);
    const cat = await createLegacyUser(http);
    const bobPusher = await pusherFor(bob);
    const annPusher = await pusherFor(ann);
    const bobSocket = await socketFor(bob);

    const first = await http.post<Envelope<Row>>(
      '/chat/create',
      { receiver_id: bob.id, detail: 'Hi Bob' },
      ann.token,
    );
    expect(first.status).toBe(200);
    expect(Object.keys(first.body).sort()).toEqual(['data', 'message', 'success']);
    expect(Object.keys(first.body.data).sort()).toEqual(MESSAGE_KEYS);
    expect(first.body.data).toMatchObject({
      detail: 'Hi Bob',
      sender_id: ann.id,
      receiver_id: bob.id,
      status: 'unseen',
    });

    // The row the route answers is the row the Pusher event carries, byte for byte.
    await eventually(() => expect(bobPusher.events('MessageCreated')).toHaveLength(1));
    expect(bobPusher.events('MessageCreated')[0].data).toEqual({
      model: first.body.data,
      connection: null,
      queue: null,
    });
    await eventually(() =>
      expect(bobSocket.results('messageCreated')).toEqual([
        {
          id: String(first.body.data.message_id),
          detail: 'Hi Bob',
          status: 'UNSEEN',
          senderId: String(ann.id),
        },
      ]),
    );
    expect(annPusher.events('MessageCreated')).toEqual([]);

    const second = await send(bob, ann, 'Hi Ann');
    const third = await send(ann, bob, 'How are you?');
    await send(cat, ann, 'Hello from Cat');

    const newest = await http.get<Envelope<Row[]>>('/chat/between', { other_id: bob.id }, ann.token);
    expect(newest.body.data.map((m) => m.message_id)).toEqual([third.message_id]);
    const page = await http.get<Envelope<Row[]>>('/chat/between', { other_id: bob.id, get: 10 }, ann.token);
    expect(page.body.data.map((m) => m.message_id)).toEqual([
      third.message_id,
      second.message_id,
      first.body.data.message_id,
    ]);
    const back = await http.get<Envelope<Row[]>>(
      '/chat/between',
      { other_id: ann.id, get: 2, before: third.message_id },
      bob.token,
    );
    expect(back.body.data.map((m) => m.message_id)).toEqual([second.message_id, first.body.data.message_id]);
    const byTime = await http.get<Envelope<Row[]>>(
      '/chat/between',
      { other_id: bob.id, get: 10, before: '2000-01-01 00:00:00' },
      ann.token,
    );
    expect(byTime.body.data).toEqual([]);
    const future = await http.get<Envelope<Row[]>>(
      '/chat/between',
      { other_id: bob.id, get: 10, before: '2999-01-01T00:00:00Z' },
      ann.token,
    );
    expect(future.body.data).toHaveLength(3);

    const count = await http.get<Envelope<number>>(
      '/chat/between/count',
      { other_id: ann.id, status: 'unseen' },
      bob.token,
    );
    expect(count.body).toMatchObject({ success: true, data: 2 });
    expect((await http.get<Envelope<number>>('/chat/count/unseen', {}, ann.token)).body.data).toBe(2);

    const seen = await http.post<Envelope<Row>>(
      '/chat/update',
      { message_id: first.body.data.message_id, status: 'seen' },
      bob.token,
    );
    expect(seen.body.success).toBe(true);
    expect(Object.keys(seen.body.data).sort()).toEqual(MESSAGE_KEYS);
    expect(seen.body.data).toMatchObject({ status: 'seen', detail: 'Hi Bob' });
    await eventually(() => expect(annPusher.events('MessageUpdated')).toHaveLength(1));
    await eventually(() => expect(bobPusher.events('MessageUpdated')).toHaveLength(1));
    expect(bobPusher.events('MessageUpdated')[0].data.model).toEqual(seen.body.data);
    await eventually(() =>
      expect(bobSocket.results('messageUpdated')).toEqual([
        { id: String(first.body.data.message_id), status: 'SEEN' },
      ]),
    );
    expect(
      (
        await http.get<Envelope<number>>(
          '/chat/between/count',
          { other_id: ann.id, status: 'unseen' },
          bob.token,
        )
      ).body.data,
    ).toBe(1);
    expect(
      (
        await http.get<Envelope<number>>(
          '/chat/between/count',
          { other_id: ann.id, status: 'seen' },
          bob.token,
        )
      ).body.data,
    ).toBe(1);

    const latest = await http.get<Envelope<Record<string, unknown>[]>>(
      '/chat/lastest',
      { get: 10 },
      ann.token,
    );
    expect(latest.body.success).toBe(true);
    expect(latest.body.data.map((chat) => Object.keys(chat).sort())).toEqual([
      ['email', 'name', 'other_id', 'updated_at'],
      ['email', 'name', 'other_id', 'updated_at'],
    ]);
    expect(latest.body.data.map((chat) => chat.other_id).sort()).toEqual([bob.id, cat.id].sort());
    expect(latest.body.data.every((chat) => chat.email === null)).toBe(true);
    const one = await http.get<Envelope<Record<string, unknown>[]>>('/chat/lastest', {}, ann.token);
    expect(one.body.data).toHaveLength(1);
    const older = await http.get<Envelope<unknown[]>>(
      '/chat/lastest',
      { get: 10, before: '2000-01-01' },
      ann.token,
    );
    expect(older.body.data).toEqual([]);
    const forAdmin = await http.get<Envelope<Record<string, unknown>[]>>(
      '/chat/lastest',
      { get: 10, user_id: ann.id },
      admin.token,
    );
    expect(forAdmin.body.data.map((chat) => chat.email).sort()).toEqual([bob.email, cat.email].sort());

    const message = await http.get<Envelope<Row>>(
      '/chat/message',
      { message_id: second.message_id },
      ann.token,
    );
    expect(message.body.data).toEqual(second);
    const all = await http.get<Envelope<Row[]>>('/chat', { get: 2 }, admin.token);
    expect(all.body.data).toHaveLength(2);
  });
});

describe('who may do what in the chat', () => {
  let ann: LegacyUser;
  let bob: LegacyUser;
  let eve: LegacyUser;
  let row: Row;
  beforeAll(async () => {
    [ann, bob, eve] = [
      await createLegacyUser(http),
      await createLegacyUser(http),
      await createLegacyUser(http),
    ];
    row = await send(ann, bob, 'private words');
  });

  const routes = (): [string, string, Record<string, string | number>][] => [
    ['GET', '/chat', {}],
    ['POST', '/chat/create', { receiver_id: bob.id, detail: 'x' }],
    ['POST', '/chat/update', { message_id: row.message_id, status: 'seen' }],
    ['GET', '/chat/message', { message_id: row.message_id }],
    ['GET', '/chat/between', { other_id: bob.id }],
    ['GET', '/chat/between/count', { other_id: bob.id, status: 'unseen' }],
    ['GET', '/chat/lastest', {}],
    ['GET', '/chat/count/unseen', {}],
  ];

  it('answers every chat route 401 without a token', async () => {
    for (const [method, path, fields] of routes()) {
      const answer = method === 'GET' ? await http.get(path, fields) : await http.post(path, fields);
      expect([path, answer.status, answer.body]).toEqual([path, 401, { error: 'Unauthenticated.' }]);
    }
  });

  it('keeps another user out of a message and a chat, and changes nothing', async () => {
    refusedEnvelope((await http.get('/chat/message', { message_id: row.message_id }, eve.token)).body);
    refusedEnvelope(
      (await http.post('/chat/update', { message_id: row.message_id, status: 'hidden' }, eve.token)).body,
    );
    refusedEnvelope((await http.get('/chat/between', { other_id: bob.id, user_id: ann.id }, eve.token)).body);
    refusedEnvelope(
      (
        await http.get(
          '/chat/between/count',
          { other_id: bob.id, status: 'unseen', user_id: ann.id },
          eve.token,
        )
      ).body,
    );
    refusedEnvelope((await http.get('/chat/lastest', { user_id: ann.id }, eve.token)).body);
    refusedEnvelope((await http.get('/chat', {}, eve.token)).body);
    const still = await http.get<Envelope<Row>>('/chat/message', { message_id: row.message_id }, ann.token);
    expect(still.body.data).toEqual(row);
  });

  it('lets a participant change only the status, and an admin every field', async () => {
    const mine = await send(ann, bob, 'the original');
    const edited = await http.post(
      '/chat/update',
      { message_id: mine.message_id, detail: 'forged', status: 'seen' },
      bob.token,
    );
    refusedEnvelope(edited.body);
    const moved = await http.post(
      '/chat/update',
      { message_id: mine.message_id, sender_id: eve.id },
      ann.token,
    );
    refusedEnvelope(moved.body);
    expect(
      (await http.get<Envelope<Row>>('/chat/message', { message_id: mine.message_id }, ann.token)).body.data,
    ).toEqual(mine);
    const byAdmin = await http.post<Envelope<Row>>(
      '/chat/update',
      { message_id: mine.message_id, detail: 'moderated' },
      admin.token,
    );
    expect(byAdmin.body.data).toMatchObject({ detail: 'moderated', sender_id: ann.id });
    const read = await http.get<Envelope<Row>>('/chat/message', { message_id: mine.message_id }, admin.token);
    expect(read.body.data.detail).toBe('moderated');
    const between = await http.get<Envelope<Row[]>>(
      '/chat/between',
      { other_id: bob.id, user_id: ann.id, get: 100 },
      admin.token,
    );
    expect(between.body.data.map((m) => m.message_id)).toContain(mine.message_id);
  });

  it('refuses unknown ids, bad values and malformed input with the error envelope, storing nothing', async () => {
    const before = await http.get<Envelope<Row[]>>(
      '/chat/between',
      { other_id: bob.id, get: 100 },
      ann.token,
    );
    const cases: [string, string, Record<string, string | number>][] = [
      ['POST', '/chat/create', { receiver_id: 999999, detail: 'to nobody' }],
      ['POST', '/chat/create', { receiver_id: 'abc', detail: 'x' }],
      ['POST', '/chat/create', { receiver_id: bob.id }],
      ['POST', '/chat/create', { receiver_id: bob.id, detail: 'x'.repeat(2001) }],
      ['POST', '/chat/create', { receiver_id: ann.id, detail: 'to myself' }],
      ['POST', '/chat/update', { message_id: 999999, status: 'seen' }],
      ['POST', '/chat/update', { message_id: row.message_id, status: 'read' }],
      ['POST', '/chat/update', { status: 'seen' }],
      ['GET', '/chat/message', { message_id: 999999 }],
      ['GET', '/chat/message', {}],
      ['GET', '/chat/between', { other_id: bob.id, get: 'many' }],
      ['GET', '/chat/between', { other_id: bob.id, before: 'yesterday-ish' }],
      ['GET', '/chat/between/count', { other_id: bob.id, status: 'hidden' }],
      ['GET', '/chat/lastest', { before: 'not a date' }],
      // Text PostgreSQL cannot store, and a date JavaScript reads but PostgreSQL cannot: the client's input.
      ['POST', '/chat/create', { receiver_id: bob.id, detail: 'a\u0000b' }],
      ['GET', '/chat/between', { other_id: bob.id, before: '-271821-04-20T00:00:00Z' }],
      ['GET', '/chat/lastest', { before: '-271821-04-20T00:00:00Z' }],
    ];
    for (const [method, path, fields] of cases) {
      const answer =
        method === 'GET' ? await http.get(path, fields, ann.token) : await http.post(path, fields, ann.token);
      expect([path, fields, answer.status]).toEqual([path, fields, 200]);
      refusedEnvelope(answer.body);
    }
    const repeated = await http.send('POST', '/chat/create', {
      body: `receiver_id=${bob.id}&detail=a&detail=b`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${ann.token}` },
    });
    refusedEnvelope(repeated.body);
    const json = await http.send('POST', '/chat/create', {
      body: JSON.stringify({ receiver_id: bob.id, detail: { text: 'an object' } }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ann.token}` },
    });
    refusedEnvelope(json.body);
    const after = await http.get<Envelope<Row[]>>('/chat/between', { other_id: bob.id, get: 100 }, ann.token);
    expect(after.body.data).toEqual(before.body.data);
  });

  it('takes a JSON body with integer ids, as a mobile app sends it', async () => {
    const answer = await http.send('POST', '/chat/create', {
      body: JSON.stringify({ receiver_id: bob.id, detail: 'from JSON' }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ann.token}` },
    });
    expect(answer.body).toMatchObject({ success: true, data: { detail: 'from JSON', receiver_id: bob.id } });
  });
});

describe('the service throttles', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer({ env: { THROTTLE_SEND_MESSAGE_PER_USER: '3/600' } });
  });
  afterAll(async () => {
    await limited.close();
  });

  it('counts messages sent through either door against one limit per sender, storing nothing past it', async () => {
    const door = new LegacyHttpClient(limited.url);
    const [ann, bob] = [await createLegacyUser(door), await createLegacyUser(door)];
    for (const detail of ['one', 'two']) {
      expect((await door.post('/chat/create', { receiver_id: bob.id, detail }, ann.token)).body.success).toBe(
        true,
      );
    }
    const graphql = await limited.client.request(
      'mutation { sendMessage(receiverId: "' + bob.id + '", detail: "three") { id } }',
      {},
      ann.token,
    );
    expect(graphql.errors).toBeUndefined();
    const refused = await door.post('/chat/create', { receiver_id: bob.id, detail: 'four' }, ann.token);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ message: 'Too Many Attempts.' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const stored = await door.get<Envelope<Row[]>>('/chat/between', { other_id: bob.id, get: 10 }, ann.token);
    expect(stored.body.data.map((m) => m.detail)).toEqual(['three', 'two', 'one']);
  });
});
