import { sendMessage } from '../fixtures/messages';
import { createUser, loginAdmin, type TestUser } from '../fixtures/users';
import { LegacyPusherClient, messageChannel } from '../support/legacy-pusher-client';
import {
  joinPresence,
  PRESENCE,
  PRESENCE_CHANGED,
  presenceChannel,
  type PresenceState,
} from '../support/presence';
import { SubscriptionClient } from '../support/subscription-client';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually, SETTLE_MS, sleep } from '../support/wait';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

/** Two users who have written to each other, so each may see the other's presence. */
async function contacts(): Promise<[TestUser, TestUser]> {
  const a = await createUser(t.client);
  const b = await createUser(t.client);
  await sendMessage(t.client, a.token, b.id, 'hello');
  await sendMessage(t.client, b.token, a.id, 'hello back');
  return [a, b];
}

const legacy = (user: TestUser) =>
  new LegacyPusherClient({ wsPort: t.server.port, authUrl: `${t.url}/broadcasting/auth`, token: user.token });

async function presenceOf(viewer: TestUser | { token: string }, ids: string[]): Promise<PresenceState[]> {
  return (await t.client.ok<{ presence: PresenceState[] }>(PRESENCE, { ids }, viewer.token)).presence;
}

describe('presence query', () => {
  it('shows a contact online while a graphql-ws socket is open, then offline with lastSeenAt', async () => {
    const [a, b] = await contacts();
    expect(await presenceOf(a, [b.id])).toEqual([{ userId: b.id, online: false, lastSeenAt: null }]);
    const tab = new SubscriptionClient(t.url, b.token);
    await tab.subscribe('messageCreated', 'subscription { messageCreated { id } }');
    await eventually(async () => expect((await presenceOf(a, [b.id]))[0].online).toBe(true));
    const before = Date.now();
    await tab.close();
    await eventually(async () => expect((await presenceOf(a, [b.id]))[0].online).toBe(false));
    const [state] = await presenceOf(a, [b.id]);
    expect(Date.parse(state.lastSeenAt as string)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('answers one entry per user, in order, duplicates once; the viewer may see themselves', async () => {
    const [a, b] = await contacts();
    const states = await presenceOf(a, [b.id, a.id, b.id]);
    expect(states.map((s) => s.userId)).toEqual([b.id, a.id]);
    expect(await presenceOf(a, [])).toEqual([]);
  });

  it('refuses a user the viewer never exchanged a message with, whichever way the message went', async () => {
    const [a, b] = await contacts();
    const stranger = await createUser(t.client);
    const error = await t.client.fails(PRESENCE, { ids: [b.id, stranger.id] }, a.token);
    expect(error.extensions?.code).toBe('FORBIDDEN');
    // The receiver of the message may see the sender too.
    expect(await presenceOf(b, [a.id])).toHaveLength(1);
    // Nor does an unknown id tell whether it exists.
    const unknown = await t.client.fails(PRESENCE, { ids: ['999999'] }, a.token);
    expect(unknown.extensions?.code).toBe('FORBIDDEN');
  });

  it('lets an admin see anyone', async () => {
    const stranger = await createUser(t.client);
    const admin = await loginAdmin(t.client);
    expect(await presenceOf(admin, [stranger.id])).toEqual([
      { userId: stranger.id, online: false, lastSeenAt: null },
    ]);
  });

  it('refuses bad input: more than 100 ids, a malformed id, no token', async () => {
    const [a] = await contacts();
    const many = Array.from({ length: 101 }, (_, i) => String(i + 1));
    const tooMany = await t.client.fails(PRESENCE, { ids: many }, a.token);
    expect(tooMany.extensions?.code).toBe('BAD_USER_INPUT');
    expect(tooMany.message).toContain('at most 100');
    const malformed = await t.client.fails(PRESENCE, { ids: ['abc'] }, a.token);
    expect(malformed.extensions?.code).toBe('BAD_USER_INPUT');
    const anonymous = await t.client.fails(PRESENCE, { ids: [a.id] });
    expect(anonymous.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('who may see whom', () => {
  it('a message the viewer sent unlocks nothing; one from the user does, and admins see everyone', async () => {
    const viewer = await createUser(t.client);
    const target = await createUser(t.client);
    // One unanswered "hi": anyone may message anyone.
    await sendMessage(t.client, viewer.token, target.id, 'hi');
    const query = await t.client.fails(PRESENCE, { ids: [target.id] }, viewer.token);
    expect(query.extensions?.code).toBe('FORBIDDEN');
    const watcher = new SubscriptionClient(t.url, viewer.token);
    const auth = (token: string, channel: string) =>
      fetch(`${t.url}/broadcasting/auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` },
        body: new URLSearchParams({ socket_id: '123.456', channel_name: channel }),
      });
    try {
      await watcher.subscribe('presenceChanged', PRESENCE_CHANGED([target.id]));
      await eventually(() => expect(watcher.failures('presenceChanged')).toHaveLength(1));
      expect(watcher.failures('presenceChanged')[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
      expect((await auth(viewer.token, presenceChannel(target.id))).status).toBe(403);
      // The one who received the message may see its sender.
      expect((await presenceOf(target, [viewer.id]))[0]?.userId).toBe(viewer.id);
      expect((await auth(target.token, presenceChannel(viewer.id))).status).toBe(200);
      // Once the target writes back, the viewer may see them too.
      await sendMessage(t.client, target.token, viewer.id, 'hello');
      expect((await presenceOf(viewer, [target.id]))[0]?.userId).toBe(target.id);
      expect((await auth(viewer.token, presenceChannel(target.id))).status).toBe(200);
      const admin = await loginAdmin(t.client);
      const stranger = await createUser(t.client);
      expect((await presenceOf(admin, [stranger.id]))[0]?.userId).toBe(stranger.id);
    } finally {
      await watcher.close();
    }
  });
});

describe('presenceChanged', () => {
  it('two tabs (graphql-ws and pusher-js): one change online, none when one closes, one offline after both', async () => {
    const [a, b] = await contacts();
    const watcher = new SubscriptionClient(t.url, a.token);
    await watcher.subscribe('presenceChanged', PRESENCE_CHANGED([b.id]));
    // Each client connects as it is made.
    const graphqlTab = new SubscriptionClient(t.url, b.token);
    const pusherTab = legacy(b);
    try {
      await graphqlTab.subscribe('messageCreated', 'subscription { messageCreated { id } }');
      await pusherTab.subscribe(messageChannel(b.id));
      await eventually(() => expect(watcher.results('presenceChanged')).toHaveLength(1));
      await sleep(SETTLE_MS);
      expect(watcher.results<PresenceState>('presenceChanged')).toEqual([
        { userId: b.id, online: true, lastSeenAt: expect.any(String) },
      ]);

      await graphqlTab.close();
      await sleep(SETTLE_MS);
      expect(watcher.results('presenceChanged')).toHaveLength(1);
      expect((await presenceOf(a, [b.id]))[0].online).toBe(true);

      pusherTab.disconnect();
      await eventually(() => expect(watcher.results('presenceChanged')).toHaveLength(2));
      await sleep(SETTLE_MS);
      const changes = watcher.results<PresenceState>('presenceChanged');
      expect(changes).toHaveLength(2);
      expect(changes[1]).toEqual({ userId: b.id, online: false, lastSeenAt: expect.any(String) });
      expect((await presenceOf(a, [b.id]))[0]).toEqual(changes[1]);
    } finally {
      pusherTab.disconnect();
      await graphqlTab.close();
      await watcher.close();
    }
  });

  it('a logout closes the sockets of that session, and the user goes offline with them', async () => {
    const [a, b] = await contacts();
    const watcher = new SubscriptionClient(t.url, a.token);
    await watcher.subscribe('presenceChanged', PRESENCE_CHANGED([b.id]));
    const graphqlTab = new SubscriptionClient(t.url, b.token);
    const pusherTab = legacy(b);
    try {
      await graphqlTab.subscribe('messageCreated', 'subscription { messageCreated { id } }');
      await pusherTab.subscribe(messageChannel(b.id));
      await eventually(() => expect(watcher.results('presenceChanged')).toHaveLength(1));
      await t.client.ok('mutation { logout }', {}, b.token);
      await eventually(() => expect(watcher.results('presenceChanged')).toHaveLength(2));
      expect(watcher.results<PresenceState>('presenceChanged')[1]).toMatchObject({ online: false });
      expect(graphqlTab.closes).toEqual([4403]);
    } finally {
      pusherTab.disconnect();
      await graphqlTab.close();
      await watcher.close();
    }
  });

  it('a Pusher connection without a signed channel is no one, so it makes no one online', async () => {
    const [a, b] = await contacts();
    const watcher = new SubscriptionClient(t.url, a.token);
    await watcher.subscribe('presenceChanged', PRESENCE_CHANGED([b.id]));
    const anonymous = legacy(b);
    try {
      await anonymous.subscribe('public-news');
      await sleep(SETTLE_MS);
      expect(watcher.results('presenceChanged')).toEqual([]);
    } finally {
      anonymous.disconnect();
      await watcher.close();
    }
  });

  it('refuses to watch a stranger, and bad ids', async () => {
    const [a] = await contacts();
    const stranger = await createUser(t.client);
    const watcher = new SubscriptionClient(t.url, a.token);
    try {
      await watcher.subscribe('presenceChanged', PRESENCE_CHANGED([stranger.id]));
      await eventually(() => expect(watcher.failures('presenceChanged')).toHaveLength(1));
      expect(watcher.failures('presenceChanged')[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
      await watcher.subscribe('bad', 'subscription { presenceChanged(userIds: ["x"]) { userId } }');
      await eventually(() => expect(watcher.failures('bad')).toHaveLength(1));
      expect(watcher.failures('bad')[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    } finally {
      await watcher.close();
    }
  });
});

describe('Pusher presence channels', () => {
  it('/broadcasting/auth signs presence-Chat.User.{id} with channel_data for a contact, 403 for anyone else', async () => {
    const [a, b] = await contacts();
    const stranger = await createUser(t.client);
    const auth = (token: string, channel: string) =>
      fetch(`${t.url}/broadcasting/auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` },
        body: new URLSearchParams({ socket_id: '123.456', channel_name: channel }),
      });
    const allowed = await auth(a.token, presenceChannel(b.id));
    expect(allowed.status).toBe(200);
    const body = (await allowed.json()) as { auth: string; channel_data: string };
    expect(body.auth).toMatch(/^app-key:[0-9a-f]{64}$/);
    expect(JSON.parse(body.channel_data)).toEqual({
      user_id: a.id,
      user_info: { id: Number(a.id), name: a.name },
    });
    expect((await auth(b.token, presenceChannel(b.id))).status).toBe(200);
    expect((await auth(stranger.token, presenceChannel(b.id))).status).toBe(403);
    expect((await auth(a.token, 'presence-Other.1')).status).toBe(403);
    expect((await auth(a.token, `presence-Chat.User.${b.id}x`)).status).toBe(403);
  });

  it('shows the members to an allowed user, with member_added and member_removed; refuses a stranger', async () => {
    const [a, b] = await contacts();
    const stranger = await createUser(t.client);
    const watcher = legacy(a);
    const owner = legacy(b);
    const outsider = legacy(stranger);
    try {
      const watching = await joinPresence(watcher, presenceChannel(b.id));
      expect(watching.ids()).toEqual([a.id]);
      expect(watching.channel.members.me).toEqual({ id: a.id, info: { id: Number(a.id), name: a.name } });

      // The owner is shown only themselves: who watches them is not shown to anyone.
      const own = await joinPresence(owner, presenceChannel(b.id));
      expect(own.ids()).toEqual([b.id]);
      await eventually(() => expect(watching.added).toHaveLength(1));
      expect(watching.added[0]).toEqual({ id: b.id, info: { id: Number(b.id), name: b.name } });
      expect(watching.ids()).toEqual([a.id, b.id].sort());

      await expect(joinPresence(outsider, presenceChannel(b.id))).rejects.toMatchObject({ status: 403 });

      owner.disconnect();
      await eventually(() => expect(watching.removed).toHaveLength(1));
      expect(watching.removed[0].id).toBe(b.id);
      expect(watching.ids()).toEqual([a.id]);
      await sleep(SETTLE_MS);
      expect(watching.added).toHaveLength(1);
      expect(watching.removed).toHaveLength(1);
    } finally {
      outsider.disconnect();
      owner.disconnect();
      watcher.disconnect();
    }
  });

  it('another watcher of the same user is not shown: watching reveals nothing about the watcher', async () => {
    const [a, b] = await contacts();
    const c = await createUser(t.client);
    await sendMessage(t.client, b.token, c.id, 'hi');
    const first = legacy(a);
    const second = legacy(c);
    try {
      const watchingA = await joinPresence(first, presenceChannel(b.id));
      const watchingC = await joinPresence(second, presenceChannel(b.id));
      expect(watchingC.ids()).toEqual([c.id]);
      second.disconnect();
      await sleep(SETTLE_MS);
      expect(watchingA.added).toEqual([]);
      expect(watchingA.removed).toEqual([]);
      expect(watchingA.ids()).toEqual([a.id]);
    } finally {
      second.disconnect();
      first.disconnect();
    }
  });

  it('a user in a presence channel from two connections is one member, gone when the last leaves', async () => {
    const [a, b] = await contacts();
    const watcher = legacy(a);
    const first = legacy(b);
    const second = legacy(b);
    try {
      const watching = await joinPresence(watcher, presenceChannel(b.id));
      await joinPresence(first, presenceChannel(b.id));
      const again = await joinPresence(second, presenceChannel(b.id));
      expect(again.ids()).toEqual([b.id]);
      first.disconnect();
      await sleep(SETTLE_MS);
      expect(watching.removed).toEqual([]);
      second.disconnect();
      await eventually(() => expect(watching.removed).toHaveLength(1));
      expect(watching.added).toHaveLength(1);
    } finally {
      second.disconnect();
      first.disconnect();
      watcher.disconnect();
    }
  });

  it('refuses a presence subscription whose channel_data is not what was signed', async () => {
    const [a, b] = await contacts();
    const client = legacy(a);
    try {
      await client.subscribe(messageChannel(a.id));
      const socketId = client.pusher.connection.socket_id;
      const response = await fetch(`${t.url}/broadcasting/auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${a.token}` },
        body: JSON.stringify({ socket_id: socketId, channel_name: presenceChannel(b.id) }),
      });
      const { auth } = (await response.json()) as { auth: string };
      const errors: unknown[] = [];
      client.pusher.connection.bind('message', (message: { event: string; data: unknown }) => {
        if (message.event === 'pusher:subscription_error') errors.push(message.data);
      });
      const forged = JSON.stringify({ user_id: b.id, user_info: { name: 'someone else' } });
      const raw = {
        event: 'pusher:subscribe',
        data: { channel: presenceChannel(b.id), auth, channel_data: forged },
      };
      client.pusher.connection.send_event(raw.event, raw.data);
      await eventually(() => expect(errors).toHaveLength(1));
      expect(errors[0]).toMatchObject({ status: 401 });
      client.pusher.connection.send_event('pusher:subscribe', {
        channel: presenceChannel(b.id),
        auth,
        channel_data: 'not json',
      });
      await eventually(() => expect(errors).toHaveLength(2));
    } finally {
      client.disconnect();
    }
  });
});
