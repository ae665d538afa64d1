import { createUser, LOGIN, loginAdmin } from '../fixtures/users';
import { sendMessage } from '../fixtures/messages';
import { SubscriptionClient } from '../support/subscription-client';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually } from '../support/wait';

const USER = 'query U($id: ID!) { user(id: $id) { id name email status } }';
const SEARCH = 'query S($q: String!, $first: Int) { searchUsers(query: $q, first: $first) { id } }';
const USERS =
  'query L($search: String, $first: Int, $after: ID) { users(search: $search, first: $first, after: $after) { id } }';
const SET_STATUS =
  'mutation B($id: ID!, $status: UserStatus!) { setUserStatus(userId: $id, status: $status) { id status } }';
const ME = 'query { me { id } }';

let t: TestServer;
let admin: { id: string; token: string };
beforeAll(async () => {
  t = await startTestServer();
  admin = await loginAdmin(t.client);
});
afterAll(async () => {
  await t.close();
});

const PROFILE =
  'query U($id: ID!) { user(id: $id) { id name role imageLink createdAt email phonenumber address } }';

describe('user', () => {
  it("shows another user's public profile only, and contact data to that user and admins", async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const seenBy = async (token: string) =>
      (await t.client.ok<{ user: Record<string, unknown> }>(PROFILE, { id: b.id }, token)).user;
    const byOther = await seenBy(a.token);
    expect(byOther).toMatchObject({ id: b.id, name: b.name, role: 'JOBSEEKER' });
    expect(byOther).toMatchObject({ email: null, phonenumber: null, address: null });
    const contact = { email: b.email, phonenumber: b.phonenumber, address: '1 Test Street' };
    expect(await seenBy(b.token)).toMatchObject(contact);
    expect(await seenBy(admin.token)).toMatchObject(contact);
  });

  it('shows a user to any logged-in user', async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const { user } = await t.client.ok<{ user: { id: string; name: string } }>(USER, { id: b.id }, a.token);
    expect(user).toMatchObject({ id: b.id, name: b.name, status: 'ACTIVE' });
    expect((await t.client.fails(USER, { id: b.id })).extensions?.code).toBe('UNAUTHENTICATED');
    expect((await t.client.fails(USER, { id: '999999' }, a.token)).extensions?.code).toBe('NOT_FOUND');
    expect((await t.client.fails(USER, { id: '1; DROP TABLE users' }, a.token)).extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
  });
});

describe('searchUsers', () => {
  it('finds active users by name for everyone, at most 25', async () => {
    const a = await createUser(t.client, { name: 'Zebediah Quill' });
    const { searchUsers: byName } = await t.client.ok<{ searchUsers: { id: string }[] }>(
      SEARCH,
      { q: 'zebediah' },
      a.token,
    );
    expect(byName.map((u) => u.id)).toEqual([a.id]);
    const wildcard = await t.client.ok<{ searchUsers: unknown[] }>(SEARCH, { q: '%' }, a.token);
    expect(wildcard.searchUsers).toEqual([]);
    const tooMany = await t.client.fails(SEARCH, { q: 'a', first: 26 }, a.token);
    expect(tooMany.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await t.client.fails(SEARCH, { q: 'a' })).extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('matches email and phone number only for an admin', async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const search = async (q: string, token: string) =>
      (await t.client.ok<{ searchUsers: { id: string }[] }>(SEARCH, { q }, token)).searchUsers.map(
        (u) => u.id,
      );
    expect(await search('@', a.token)).toEqual([]);
    expect(await search(b.email, a.token)).toEqual([]);
    expect(await search(b.phonenumber, a.token)).toEqual([]);
    expect(await search('@', admin.token)).toEqual(expect.arrayContaining([a.id, b.id, admin.id]));
    expect(await search(b.email, admin.token)).toEqual([b.id]);
    expect(await search(b.phonenumber, admin.token)).toEqual([b.id]);
  });
});

describe('users (admin)', () => {
  it('pages every user by id with after, and searches', async () => {
    const a = await createUser(t.client, { name: 'Paging Person One' });
    const b = await createUser(t.client, { name: 'Paging Person Two' });
    const page = await t.client.ok<{ users: { id: string }[] }>(
      USERS,
      { search: 'paging person', first: 1 },
      admin.token,
    );
    expect(page.users.map((u) => u.id)).toEqual([a.id]);
    const next = await t.client.ok<{ users: { id: string }[] }>(
      USERS,
      { search: 'paging person', first: 1, after: a.id },
      admin.token,
    );
    expect(next.users.map((u) => u.id)).toEqual([b.id]);
    expect((await t.client.fails(USERS, {}, a.token)).extensions?.code).toBe('FORBIDDEN');
  });
});

describe('setUserStatus', () => {
  it('bans: the user cannot log in and existing tokens stop at the next request; unban restores login', async () => {
    const a = await createUser(t.client);
    await t.client.ok(ME, {}, a.token);
    const { setUserStatus } = await t.client.ok<{ setUserStatus: { status: string } }>(
      SET_STATUS,
      { id: a.id, status: 'BANNED' },
      admin.token,
    );
    expect(setUserStatus.status).toBe('BANNED');
    expect((await t.client.fails(ME, {}, a.token)).extensions?.code).toBe('UNAUTHENTICATED');
    const login = await t.client.fails(LOGIN, { email: a.email, password: a.password });
    expect(login.extensions?.code).toBe('FORBIDDEN');
    expect(login.message).toContain('banned');
    const refresh = await t.client.fails(
      'mutation R($t: String!) { refreshToken(refreshToken: $t) { accessToken } }',
      { t: a.refreshToken },
    );
    expect(refresh.extensions?.code).toBe('UNAUTHENTICATED');

    await t.client.ok(SET_STATUS, { id: a.id, status: 'ACTIVE' }, admin.token);
    await t.client.ok(LOGIN, { email: a.email, password: a.password });
  });

  it('is for admins only and changes nothing when refused', async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    expect((await t.client.fails(SET_STATUS, { id: b.id, status: 'BANNED' }, a.token)).extensions?.code).toBe(
      'FORBIDDEN',
    );
    expect((await t.client.fails(SET_STATUS, { id: b.id, status: 'BANNED' })).extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    await t.client.ok(ME, {}, b.token);
    expect(
      (await t.client.fails(SET_STATUS, { id: '999999', status: 'BANNED' }, admin.token)).extensions?.code,
    ).toBe('NOT_FOUND');
    const self = await t.client.fails(SET_STATUS, { id: admin.id, status: 'BANNED' }, admin.token);
    expect(self.extensions?.code).toBe('BAD_USER_INPUT');
    const badStatus = await t.client.request(SET_STATUS, { id: b.id, status: 'DELETED' }, admin.token);
    expect(badStatus.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    await t.client.ok(ME, {}, admin.token);
  });
});

describe('contact data of the people in a conversation', () => {
  const CONVERSATION = `query C($other: ID!) {
    conversation(otherUserId: $other) { sender { id email phonenumber } receiver { id email address } }
  }`;
  const CONVERSATIONS = 'query { conversations { otherUser { id email phonenumber address } } }';
  interface Party {
    id: string;
    email: string | null;
  }

  it('is null for the other user and set for oneself, in queries and in subscriptions', async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const subscription = new SubscriptionClient(t.url, b.token);
    try {
      await subscription.subscribe(
        'messageCreated',
        'subscription { messageCreated { sender { email } receiver { email } } }',
      );
      await sendMessage(t.client, a.token, b.id, 'hello');

      const { conversation } = await t.client.ok<{ conversation: { sender: Party; receiver: Party }[] }>(
        CONVERSATION,
        { other: b.id },
        a.token,
      );
      expect(conversation).toEqual([
        {
          sender: { id: a.id, email: a.email, phonenumber: a.phonenumber },
          receiver: { id: b.id, email: null, address: null },
        },
      ]);
      const { conversations } = await t.client.ok<{ conversations: { otherUser: Party }[] }>(
        CONVERSATIONS,
        {},
        b.token,
      );
      expect(conversations).toEqual([
        { otherUser: { id: a.id, email: null, phonenumber: null, address: null } },
      ]);
      const asAdmin = await t.client.ok<{ conversation: { sender: Party }[] }>(
        'query C($other: ID!, $user: ID) { conversation(otherUserId: $other, userId: $user) { sender { email } } }',
        { other: b.id, user: a.id },
        admin.token,
      );
      expect(asAdmin.conversation).toEqual([{ sender: { email: a.email } }]);

      await eventually(() =>
        expect(subscription.results('messageCreated')).toEqual([
          { sender: { email: null }, receiver: { email: b.email } },
        ]),
      );
    } finally {
      await subscription.close();
    }
  });
});
