import { createUser, loginAdmin } from '../fixtures/users';
import { startTestServer, type TestServer } from '../support/test-server';

const FIELDS = 'id title detail status receiverId receiver { id }';
const CREATE = `mutation C($input: CreateNotificationInput!) { createNotification(input: $input) { ${FIELDS} } }`;
const GET = `query G($id: ID!) { notification(id: $id) { ${FIELDS} } }`;
const UPDATE = `mutation U($id: ID!, $input: UpdateNotificationInput!) { updateNotification(id: $id, input: $input) { ${FIELDS} } }`;
const LIST = `query L($status: NotificationStatus, $first: Int, $before: ID, $userId: ID) {
  notifications(status: $status, first: $first, before: $before, userId: $userId) { id title status }
}`;
const COUNT =
  'query N($status: NotificationStatus, $userId: ID) { notificationCount(status: $status, userId: $userId) }';
const MARK_ALL = 'mutation { markAllNotificationsSeen }';
const ALL = 'query A($first: Int, $before: ID) { allNotifications(first: $first, before: $before) { id } }';

interface NotificationData {
  id: string;
  title: string;
  detail: string;
  status: string;
  receiverId: string;
}

let t: TestServer;
let admin: { id: string; token: string };
beforeAll(async () => {
  t = await startTestServer();
  admin = await loginAdmin(t.client);
});
afterAll(async () => {
  await t.close();
});

async function notify(input: Record<string, unknown>): Promise<NotificationData[]> {
  const { createNotification } = await t.client.ok<{ createNotification: NotificationData[] }>(
    CREATE,
    { input: { title: 'Title', detail: 'Detail', ...input } },
    admin.token,
  );
  return createNotification;
}

const count = async (token: string, variables: Record<string, unknown> = {}) =>
  (await t.client.ok<{ notificationCount: number }>(COUNT, variables, token)).notificationCount;

describe('createNotification', () => {
  it('creates one notification for one receiver, or one each for many', async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const [single] = await notify({ receiverId: a.id, title: 'Welcome' });
    expect(single).toMatchObject({
      title: 'Welcome',
      status: 'UNSEEN',
      receiverId: a.id,
      receiver: { id: a.id },
    });
    const many = await notify({ receiverIds: [a.id, b.id, a.id] });
    expect(many.map((n) => n.receiverId).sort()).toEqual([a.id, b.id].sort());
    expect(await count(a.token)).toBe(2);
    expect(await count(b.token)).toBe(1);
  });

  it('stores nothing when one receiver does not exist', async () => {
    const a = await createUser(t.client);
    const error = await t.client.fails(
      CREATE,
      { input: { title: 'T', detail: 'D', receiverIds: [a.id, '999999'] } },
      admin.token,
    );
    expect(error.extensions?.code).toBe('NOT_FOUND');
    expect(error.message).toContain('999999');
    expect(await count(a.token)).toBe(0);
  });

  it('is for admins only, and refuses bad input', async () => {
    const a = await createUser(t.client);
    const input = { title: 'T', detail: 'D', receiverId: a.id };
    expect((await t.client.fails(CREATE, { input }, a.token)).extensions?.code).toBe('FORBIDDEN');
    expect((await t.client.fails(CREATE, { input })).extensions?.code).toBe('UNAUTHENTICATED');
    const noReceiver = await t.client.fails(CREATE, { input: { title: 'T', detail: 'D' } }, admin.token);
    expect(noReceiver.extensions?.code).toBe('BAD_USER_INPUT');
    const emptyTitle = await t.client.fails(CREATE, { input: { ...input, title: '' } }, admin.token);
    expect(emptyTitle.extensions?.code).toBe('BAD_USER_INPUT');
    expect(emptyTitle.message).toContain('title');
    const badId = await t.client.fails(CREATE, { input: { ...input, receiverId: 'nope' } }, admin.token);
    expect(badId.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await count(a.token)).toBe(0);
  });
});

describe('reading notifications', () => {
  it('lets only the receiver and admins read one', async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const [n] = await notify({ receiverId: a.id });
    expect(
      (await t.client.ok<{ notification: NotificationData }>(GET, { id: n.id }, a.token)).notification.id,
    ).toBe(n.id);
    expect(
      (await t.client.ok<{ notification: NotificationData }>(GET, { id: n.id }, admin.token)).notification.id,
    ).toBe(n.id);
    expect((await t.client.fails(GET, { id: n.id }, b.token)).extensions?.code).toBe('FORBIDDEN');
    expect((await t.client.fails(GET, { id: '999999' }, a.token)).extensions?.code).toBe('NOT_FOUND');
  });

  it('lists newest first with paging and a status filter, and counts by status', async () => {
    const a = await createUser(t.client);
    const created: NotificationData[] = [];
    for (let i = 0; i < 5; i++) created.push(...(await notify({ receiverId: a.id, title: `n${i}` })));
    await t.client.ok(UPDATE, { id: created[1].id, input: { status: 'SEEN' } }, a.token);
    const page1 = await t.client.ok<{ notifications: NotificationData[] }>(LIST, { first: 3 }, a.token);
    expect(page1.notifications.map((n) => n.title)).toEqual(['n4', 'n3', 'n2']);
    const page2 = await t.client.ok<{ notifications: NotificationData[] }>(
      LIST,
      { first: 3, before: page1.notifications[2].id },
      a.token,
    );
    expect(page2.notifications.map((n) => n.title)).toEqual(['n1', 'n0']);
    const seen = await t.client.ok<{ notifications: NotificationData[] }>(LIST, { status: 'SEEN' }, a.token);
    expect(seen.notifications.map((n) => n.title)).toEqual(['n1']);
    expect(await count(a.token, { status: 'UNSEEN' })).toBe(4);
  });

  it("shows another user's list and count to admins only", async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    await notify({ receiverId: a.id });
    expect((await t.client.fails(LIST, { userId: a.id }, b.token)).extensions?.code).toBe('FORBIDDEN');
    expect((await t.client.fails(COUNT, { userId: a.id }, b.token)).extensions?.code).toBe('FORBIDDEN');
    expect(await count(admin.token, { userId: a.id })).toBe(1);
    const list = await t.client.ok<{ notifications: unknown[] }>(LIST, { userId: a.id }, admin.token);
    expect(list.notifications).toHaveLength(1);
  });

  it('lists all notifications for admins only', async () => {
    const a = await createUser(t.client);
    const [n] = await notify({ receiverId: a.id });
    const { allNotifications } = await t.client.ok<{ allNotifications: { id: string }[] }>(
      ALL,
      { first: 1 },
      admin.token,
    );
    expect(allNotifications).toEqual([{ id: n.id }]);
    expect((await t.client.fails(ALL, {}, a.token)).extensions?.code).toBe('FORBIDDEN');
    expect((await t.client.fails(ALL, { first: 500 }, admin.token)).extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('updateNotification', () => {
  it('lets the receiver change only the status', async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const [n] = await notify({ receiverId: a.id, title: 'Original' });
    const title = await t.client.fails(UPDATE, { id: n.id, input: { title: 'Changed' } }, a.token);
    expect(title.extensions?.code).toBe('FORBIDDEN');
    const stranger = await t.client.fails(UPDATE, { id: n.id, input: { status: 'SEEN' } }, b.token);
    expect(stranger.extensions?.code).toBe('FORBIDDEN');
    expect(
      (await t.client.ok<{ notification: NotificationData }>(GET, { id: n.id }, a.token)).notification,
    ).toMatchObject({
      title: 'Original',
      status: 'UNSEEN',
    });
    const { updateNotification } = await t.client.ok<{ updateNotification: NotificationData }>(
      UPDATE,
      { id: n.id, input: { status: 'SEEN' } },
      a.token,
    );
    expect(updateNotification.status).toBe('SEEN');
  });

  it('lets an admin change every field', async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const [n] = await notify({ receiverId: a.id });
    const { updateNotification } = await t.client.ok<{ updateNotification: NotificationData }>(
      UPDATE,
      { id: n.id, input: { title: 'New', detail: 'New detail', status: 'HIDDEN', receiverId: b.id } },
      admin.token,
    );
    expect(updateNotification).toMatchObject({
      title: 'New',
      detail: 'New detail',
      status: 'HIDDEN',
      receiverId: b.id,
    });
    const missing = await t.client.fails(UPDATE, { id: n.id, input: { receiverId: '999999' } }, admin.token);
    expect(missing.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('markAllNotificationsSeen', () => {
  it("marks only the viewer's unseen notifications and returns how many changed", async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    await notify({ receiverIds: [a.id, b.id] });
    await notify({ receiverId: a.id });
    expect(await t.client.ok(MARK_ALL, {}, a.token)).toEqual({ markAllNotificationsSeen: 2 });
    expect(await t.client.ok(MARK_ALL, {}, a.token)).toEqual({ markAllNotificationsSeen: 0 });
    expect(await count(a.token, { status: 'UNSEEN' })).toBe(0);
    expect(await count(b.token, { status: 'UNSEEN' })).toBe(1);
    expect((await t.client.fails(MARK_ALL)).extensions?.code).toBe('UNAUTHENTICATED');
  });
});
