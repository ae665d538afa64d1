import { createLegacyUser, legacyLogin, type LegacyUser } from '../fixtures/legacy-users';
import { LegacyHttpClient } from '../support/legacy-http';
import { LegacyPusherClient, notificationChannel } from '../support/legacy-pusher-client';
import { SubscriptionClient } from '../support/subscription-client';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually, SETTLE_MS, sleep } from '../support/wait';

const NOTIFICATION_KEYS = [
  'created_at',
  'detail',
  'notification_id',
  'receiver_id',
  'status',
  'title',
  'updated_at',
];

interface Row {
  notification_id: number;
  title: string;
  detail: string;
  status: string;
  receiver_id: number;
}
interface Envelope<T> {
  success: boolean;
  message: string;
  data: T;
  notification?: T;
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

async function notify(receiver: LegacyUser, title: string): Promise<Row> {
  const answer = await http.post<Envelope<Row>>(
    '/notification/create',
    { receiver_id: receiver.id, title, detail: `${title} in detail` },
    admin.token,
  );
  if (!answer.body.success) throw new Error(JSON.stringify(answer.body));
  return answer.body.data;
}

const refusedEnvelope = (body: Record<string, unknown>) => {
  expect(body).toEqual({ success: false, message: expect.any(String), error: expect.any(String) });
};

describe("a legacy app's day with notifications", () => {
  it("the admin's and the receiver's: create, list, page, count, mark seen, with the events on both APIs", async () => {
    const receiver = await createLegacyUser(http);
    const pusher = new LegacyPusherClient({
      wsPort: t.server.port,
      authUrl: `${t.url}/broadcasting/auth`,
      token: receiver.token,
    });
    opened.push(pusher);
    await pusher.subscribe(notificationChannel(receiver.id));
    const socket = new SubscriptionClient(t.url, receiver.token);
    opened.push(socket);
    await socket.subscribe('notificationCreated', 'subscription { notificationCreated { id title status } }');
    await socket.subscribe('notificationUpdated', 'subscription { notificationUpdated { id status } }');

    const created = await http.post<Envelope<Row>>(
      '/notification/create',
      { receiver_id: receiver.id, title: 'Welcome', detail: 'Glad you are here' },
      admin.token,
    );
    expect(Object.keys(created.body).sort()).toEqual(['data', 'message', 'success']);
    expect(Object.keys(created.body.data).sort()).toEqual(NOTIFICATION_KEYS);
    expect(created.body.data).toMatchObject({ title: 'Welcome', receiver_id: receiver.id, status: 'unseen' });
    await eventually(() => expect(pusher.events('NotificationCreated')).toHaveLength(1));
    expect(pusher.events('NotificationCreated')[0].data).toEqual({
      model: created.body.data,
      connection: null,
      queue: null,
    });
    await eventually(() =>
      expect(socket.results('notificationCreated')).toEqual([
        { id: String(created.body.data.notification_id), title: 'Welcome', status: 'UNSEEN' },
      ]),
    );
    const second = await notify(receiver, 'Second');
    const third = await notify(receiver, 'Third');

    const one = await http.get<Envelope<Row[]>>('/notification/user', {}, receiver.token);
    expect(one.body.data.map((n) => n.notification_id)).toEqual([third.notification_id]);
    const back = await http.get<Envelope<Row[]>>(
      '/notification/user',
      { get: 5, before: third.notification_id },
      receiver.token,
    );
    expect(back.body.data.map((n) => n.notification_id)).toEqual([
      second.notification_id,
      created.body.data.notification_id,
    ]);
    const shown = await http.get<Envelope<Row>>(
      '/notification/notification',
      { notification_id: second.notification_id },
      receiver.token,
    );
    expect(Object.keys(shown.body).sort()).toEqual(['message', 'notification', 'success']);
    expect(shown.body.notification).toEqual(second);

    const seen = await http.post<Envelope<Row>>(
      '/notification/update',
      { notification_id: second.notification_id, status: 'seen' },
      receiver.token,
    );
    expect(seen.body.data).toMatchObject({
      notification_id: second.notification_id,
      status: 'seen',
      title: 'Second',
    });
    await eventually(() => expect(pusher.events('NotificationUpdated')).toHaveLength(1));
    expect(pusher.events('NotificationUpdated')[0].data.model).toEqual(seen.body.data);
    await eventually(() =>
      expect(socket.results('notificationUpdated')).toEqual([
        { id: String(second.notification_id), status: 'SEEN' },
      ]),
    );

    const unseen = await http.get<Envelope<Row[]>>(
      '/notification/user/status',
      { status: 'unseen', get: 10 },
      receiver.token,
    );
    expect(unseen.body.data.map((n) => n.notification_id)).toEqual([
      third.notification_id,
      created.body.data.notification_id,
    ]);
    const counts = await Promise.all(
      ['unseen', 'seen'].map((status) =>
        http.get<Envelope<number>>('/notification/user/status/count', { status }, receiver.token),
      ),
    );
    expect(counts.map((c) => c.body.data)).toEqual([2, 1]);
    const forAdmin = await http.get<Envelope<number>>(
      '/notification/user/status/count',
      { status: 'unseen', user_id: receiver.id },
      admin.token,
    );
    expect(forAdmin.body.data).toBe(2);
    const all = await http.get<Envelope<Row[]>>('/notification', { get: 3 }, admin.token);
    expect(all.body.data.map((n) => n.notification_id)).toEqual([
      third.notification_id,
      second.notification_id,
      created.body.data.notification_id,
    ]);
  });

  it('refuses a non-admin notification and another user, changing and sending nothing', async () => {
    const receiver = await createLegacyUser(http);
    const eve = await createLegacyUser(http);
    const pusher = new LegacyPusherClient({
      wsPort: t.server.port,
      authUrl: `${t.url}/broadcasting/auth`,
      token: receiver.token,
    });
    opened.push(pusher);
    await pusher.subscribe(notificationChannel(receiver.id));
    const row = await notify(receiver, 'Only mine');
    await eventually(() => expect(pusher.events('NotificationCreated')).toHaveLength(1));

    refusedEnvelope(
      (
        await http.post(
          '/notification/create',
          { receiver_id: receiver.id, title: 'Spam', detail: 'x' },
          eve.token,
        )
      ).body,
    );
    refusedEnvelope(
      (
        await http.post(
          '/notification/update',
          { notification_id: row.notification_id, status: 'seen' },
          eve.token,
        )
      ).body,
    );
    refusedEnvelope(
      (await http.get('/notification/notification', { notification_id: row.notification_id }, eve.token))
        .body,
    );
    refusedEnvelope((await http.get('/notification/user', { user_id: receiver.id }, eve.token)).body);
    refusedEnvelope(
      (await http.get('/notification/user/status', { status: 'unseen', user_id: receiver.id }, eve.token))
        .body,
    );
    refusedEnvelope((await http.get('/notification', {}, eve.token)).body);
    // The receiver may change only the status.
    refusedEnvelope(
      (
        await http.post(
          '/notification/update',
          { notification_id: row.notification_id, title: 'Edited' },
          receiver.token,
        )
      ).body,
    );
    const cases: [string, string, Record<string, string | number>][] = [
      ['POST', '/notification/create', { receiver_id: 999999, title: 'T', detail: 'D' }],
      ['POST', '/notification/create', { receiver_id: receiver.id, detail: 'no title' }],
      ['POST', '/notification/update', { notification_id: 999999, status: 'seen' }],
      ['POST', '/notification/update', { notification_id: row.notification_id, status: 'archived' }],
      ['GET', '/notification/notification', { notification_id: 'x' }],
      ['GET', '/notification/user/status', { status: 'hidden' }],
      ['GET', '/notification/user/status/count', {}],
    ];
    for (const [method, path, fields] of cases) {
      const answer =
        method === 'GET'
          ? await http.get(path, fields, admin.token)
          : await http.post(path, fields, admin.token);
      expect([path, answer.status]).toEqual([path, 200]);
      refusedEnvelope(answer.body);
    }
    await sleep(SETTLE_MS);
    expect(pusher.events('NotificationCreated')).toHaveLength(1);
    expect(pusher.events('NotificationUpdated')).toHaveLength(0);
    const still = await http.get<Envelope<Row>>(
      '/notification/notification',
      { notification_id: row.notification_id },
      receiver.token,
    );
    expect(still.body.notification).toEqual(row);
    const list = await http.get<Envelope<Row[]>>('/notification/user', { get: 10 }, receiver.token);
    expect(list.body.data).toEqual([row]);
  });
});

describe('the admin routes and a ban', () => {
  it("lists users in Laravel's paginator, contact shown, and only for admins", async () => {
    const user = await createLegacyUser(http);
    const list = await http.get<{ success: boolean; users: Record<string, unknown> }>(
      '/admin/user',
      {},
      admin.token,
    );
    expect(Object.keys(list.body).sort()).toEqual(['success', 'users']);
    const paginator = list.body.users;
    expect(Object.keys(paginator).sort()).toEqual([
      'current_page',
      'data',
      'first_page_url',
      'from',
      'last_page',
      'last_page_url',
      'links',
      'next_page_url',
      'path',
      'per_page',
      'prev_page_url',
      'to',
      'total',
    ]);
    expect(paginator).toMatchObject({ current_page: 1, per_page: 20, from: 1, prev_page_url: null });
    expect(paginator.path).toBe(`${t.url}/api/admin/user`);
    expect(paginator.first_page_url).toBe(`${t.url}/api/admin/user?page=1`);
    const rows = paginator.data as Record<string, unknown>[];
    expect(rows[0]).toMatchObject({ user_id: admin.id });
    const search = await http.get<{
      users: { data: Record<string, unknown>[]; total: number; links: unknown[] };
    }>('/admin/user', { searchContent: user.email }, admin.token);
    expect(search.body.users.total).toBe(1);
    expect(search.body.users.data[0]).toMatchObject({
      user_id: user.id,
      email: user.email,
      phonenumber: user.phonenumber,
    });
    expect(search.body.users.links).toEqual([
      { url: null, label: '&laquo; Previous', active: false },
      { url: `${t.url}/api/admin/user?page=1`, label: '1', active: true },
      { url: null, label: 'Next &raquo;', active: false },
    ]);
    const empty = await http.get<{ users: Record<string, unknown> }>(
      '/admin/user',
      { page: 999 },
      admin.token,
    );
    expect(empty.body.users).toMatchObject({ data: [], from: null, to: null, current_page: 999 });

    const refused = await http.get('/admin/user', {}, user.token);
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ success: false, message: expect.any(String) });
    expect(refused.body.users).toBeUndefined();
  });

  it('bans: the user is locked out of both APIs at once, and unbanned can log in again', async () => {
    const user = await createLegacyUser(http);
    const other = await createLegacyUser(http);
    expect((await http.post('/admin/user/' + user.id, { status: 'banned' }, other.token)).body.success).toBe(
      false,
    );
    expect((await http.get('/auth/user-profile', {}, user.token)).status).toBe(200);
    refusedEnvelope((await http.post(`/admin/user/${user.id}`, { status: 'frozen' }, admin.token)).body);
    refusedEnvelope((await http.post('/admin/user/999999', { status: 'banned' }, admin.token)).body);
    refusedEnvelope((await http.post('/admin/user/abc', { status: 'banned' }, admin.token)).body);

    const socket = new SubscriptionClient(t.url, user.token);
    opened.push(socket);
    await socket.subscribe('messageCreated', 'subscription { messageCreated { id } }');
    const banned = await http.post(`/admin/user/${user.id}`, { status: 'banned' }, admin.token);
    expect(banned.status).toBe(200);
    expect(banned.body).toEqual({ success: true, message: expect.any(String) });
    expect(await http.get('/auth/user-profile', {}, user.token)).toMatchObject({ status: 401 });
    expect((await t.client.request('{ me { id } }', {}, user.token)).errors?.[0].extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    await eventually(() => expect(socket.closes).toContain(4403));
    const login = await http.post('/auth/login', { email: user.email, password: user.password });
    const wrong = await http.post('/auth/login', { email: user.email, password: 'not-the-password' });
    expect(login.body).toEqual({ success: false, message: expect.any(String) });
    expect(login.body.message).not.toBe(wrong.body.message);

    const unbanned = await http.post(`/admin/user/${user.id}`, { status: 'active' }, admin.token);
    expect(unbanned.body.success).toBe(true);
    expect(unbanned.body.message).not.toBe(banned.body.message);
    await legacyLogin(http, user.email, user.password);
  });

  it('GET /api/user/{id} shows a public profile to guests and others, the whole row to the user and admins', async () => {
    const user = await createLegacyUser(http);
    const other = await createLegacyUser(http);
    const guest = await http.get<{ success: boolean; data: Record<string, unknown>[] }>(`/user/${user.id}`);
    expect(Object.keys(guest.body).sort()).toEqual(['data', 'success']);
    expect(guest.body.data).toHaveLength(1);
    expect(guest.body.data[0]).toMatchObject({
      user_id: user.id,
      name: user.name,
      email: null,
      phonenumber: null,
      address: null,
    });
    expect(guest.body.data[0].password).toBeUndefined();
    const forged = await http.get<{ data: Record<string, unknown>[] }>(
      `/user/${user.id}`,
      {},
      'forged.token',
    );
    expect(forged.body.data[0].email).toBeNull();
    expect(
      (await http.get<{ data: Record<string, unknown>[] }>(`/user/${user.id}`, {}, other.token)).body.data[0]
        .email,
    ).toBeNull();
    expect(
      (await http.get<{ data: Record<string, unknown>[] }>(`/user/${user.id}`, {}, user.token)).body.data[0]
        .email,
    ).toBe(user.email);
    expect(
      (await http.get<{ data: Record<string, unknown>[] }>(`/user/${user.id}`, {}, admin.token)).body.data[0]
        .phonenumber,
    ).toBe(user.phonenumber);
    const adminRow = await http.get<{ data: Record<string, unknown> }>(`/user/${admin.id}`);
    expect(adminRow.body.data).toMatchObject({ user_id: admin.id, role: 'admin', email: null });
    refusedEnvelope((await http.get('/user/999999')).body);
    refusedEnvelope((await http.get('/user/abc')).body);
  });
});
