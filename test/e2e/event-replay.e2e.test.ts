import { sendMessage } from '../fixtures/messages';
import { createUser, loginAdmin, type TestUser } from '../fixtures/users';
import {
  catchUp,
  type EventData,
  eventPage,
  newestEventId,
  REALTIME_EVENTS,
  RESUME,
} from '../support/catch-up';
import { LegacyPusherClient, messageChannel } from '../support/legacy-pusher-client';
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

const NOTIFY = `mutation C($input: CreateNotificationInput!) { createNotification(input: $input) { id } }`;
const SEEN = 'mutation M($other: ID!) { markConversationSeen(otherUserId: $other) }';

async function sendMany(from: TestUser, to: TestUser, count: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push((await sendMessage(t.client, from.token, to.id, `${label} ${i}`)).id);
  return ids;
}

/** Ages a user's events past the retention period, as if they had been committed 100 hours ago. */
async function age(userId: string, eventIds?: string[]): Promise<void> {
  await t.server.database.dataSource.query(
    `UPDATE event_outbox SET created_at = now() - interval '100 hours'
      WHERE recipient_ids @> ARRAY[$1::int] AND ($2::bigint[] IS NULL OR event_id = ANY($2))`,
    [Number(userId), eventIds ?? null],
  );
}

const messageIds = (events: EventData[]) => events.map((event) => event.message?.id);
const ascending = (ids: string[]) => ids.every((id, i) => i === 0 || BigInt(id) > BigInt(ids[i - 1]));

describe('the catch-up query', () => {
  it('without after answers no events and the newest position: "0" before the first event', async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    expect(await eventPage(t.client, b.token, {})).toEqual({ events: [], hasMore: false, lastId: '0' });
    await sendMessage(t.client, a.token, b.id, 'first');
    const page = await eventPage(t.client, b.token, {});
    expect(page.events).toEqual([]);
    const { events } = await catchUp(t.client, b.token, '0');
    expect(page.lastId).toBe(events[events.length - 1].id);
    // The sender got no event: its position is still the start.
    expect((await eventPage(t.client, a.token, {})).lastId).toBe('0');
  });

  it('pages through what a user missed, oldest first, each event with the row its subscription sends', async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const admin = await loginAdmin(t.client);
    const start = await newestEventId(t.client, b.token);
    const sent = await sendMany(a, b, 5, 'missed');
    await t.client.ok(NOTIFY, { input: { receiverId: b.id, title: 'Hello', detail: 'x' } }, admin.token);
    await t.client.ok(SEEN, { other: a.id }, b.token);

    const first = await eventPage(t.client, b.token, { after: start, first: 4 });
    expect(first.events).toHaveLength(4);
    expect(first.hasMore).toBe(true);
    expect(first.lastId).toBe(first.events[3].id);
    const { events, lastId } = await catchUp(t.client, b.token, start, 4);
    expect(events.slice(0, 4)).toEqual(first.events);
    expect(events.map((e) => e.name)).toEqual([
      ...Array(5).fill('MessageCreated'),
      'NotificationCreated',
      ...Array(5).fill('MessageUpdated'),
    ]);
    expect(ascending(events.map((e) => e.id))).toBe(true);
    expect(lastId).toBe(events[events.length - 1].id);
    expect(messageIds(events.slice(0, 5))).toEqual(sent);
    expect(events[0]).toMatchObject({
      message: { id: sent[0], detail: 'missed 0', status: 'UNSEEN', senderId: a.id, receiverId: b.id },
      notification: null,
    });
    expect(new Date(events[0].createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(events[5]).toMatchObject({ message: null, notification: { title: 'Hello', receiverId: b.id } });
    expect(events[10].message).toMatchObject({ id: sent[4], status: 'SEEN' });
    // Caught up: nothing more, and the position stays.
    expect(await eventPage(t.client, b.token, { after: lastId })).toEqual({
      events: [],
      hasMore: false,
      lastId,
    });
    // The sender sees its own side only: the five MessageUpdated of markConversationSeen.
    const senderSide = await catchUp(t.client, a.token, start);
    expect(senderSide.events.map((e) => e.name)).toEqual(Array(5).fill('MessageUpdated'));
  });

  it('gives each event its Pusher data byte for byte, for legacy clients to hand to the same handler', async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const legacy = new LegacyPusherClient({
      wsPort: t.server.port,
      authUrl: `${t.url}/broadcasting/auth`,
      token: b.token,
    });
    try {
      await legacy.subscribe(messageChannel(b.id));
      const start = await newestEventId(t.client, b.token);
      await sendMany(a, b, 1, 'byte for byte');
      await eventually(() => expect(legacy.events('MessageCreated')).toHaveLength(1));
      const { realtimeEvents } = await t.client.ok<{
        realtimeEvents: { events: { name: string; data: string }[] };
      }>(
        'query R($after: ID) { realtimeEvents(after: $after) { events { name data } } }',
        { after: start },
        b.token,
      );
      expect(realtimeEvents.events).toEqual([
        { name: 'MessageCreated', data: JSON.stringify(legacy.events('MessageCreated')[0].data) },
      ]);
      expect(realtimeEvents.events[0].data).toMatch(
        /^\{"model":\{"message_id":\d+,"detail":"byte for byte 0",/,
      );
    } finally {
      legacy.disconnect();
    }
  });

  it('lets an admin read any user by userId, and no one else', async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const admin = await loginAdmin(t.client);
    const [sent] = await sendMany(a, b, 1, 'for the admin');
    const page = await eventPage(t.client, admin.token, { after: '0', userId: b.id });
    expect(messageIds(page.events)).toContain(sent);
    const refused = await t.client.fails(REALTIME_EVENTS, { after: '0', userId: b.id }, a.token);
    expect(refused.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses bad input by name, and anyone not logged in', async () => {
    const b = await createUser(t.client);
    // null through a variable reaches the non-null argument `first` (it has a default): the client's mistake.
    for (const variables of [{ first: 0 }, { first: 101 }, { after: '0', first: -1 }, { first: null }]) {
      const error = await t.client.fails(REALTIME_EVENTS, variables, b.token);
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    }
    for (const after of ['abc', '-5', '1.5', '99999999999999999999', '']) {
      const error = await t.client.fails(REALTIME_EVENTS, { after }, b.token);
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(/^after: /);
    }
    const anonymous = await t.client.fails(REALTIME_EVENTS, { after: '0' });
    expect(anonymous.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await t.client.fails('{ unreadCounts { unseenMessages } }')).extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
  });
});

describe('the resumable subscription', () => {
  it('gives a client that was away while 20 messages were committed all 20, in order, none twice, then live', async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const start = await newestEventId(t.client, b.token);
    const first = new SubscriptionClient(t.url, b.token);
    let last: string;
    try {
      await first.subscribe('realtimeEvents', RESUME(start));
      const [before] = await sendMany(a, b, 1, 'before');
      await eventually(() => expect(first.results('realtimeEvents')).toHaveLength(1));
      const [received] = first.results<EventData>('realtimeEvents');
      expect(received).toMatchObject({ name: 'MessageCreated', message: { id: before } });
      last = received.id;
    } finally {
      await first.close();
    }

    const missed = await sendMany(a, b, 20, 'while away');
    const second = new SubscriptionClient(t.url, b.token);
    try {
      await second.subscribe('realtimeEvents', RESUME(last));
      const live = await sendMany(a, b, 3, 'live');
      await eventually(() => expect(second.results('realtimeEvents')).toHaveLength(23));
      await sleep(SETTLE_MS);
      const events = second.results<EventData>('realtimeEvents');
      expect(messageIds(events)).toEqual([...missed, ...live]);
      expect(ascending(events.map((e) => e.id))).toBe(true);
      expect(second.failures('realtimeEvents')).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('leaves no gap and no duplicate when it resumes while messages are being committed', async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const start = await newestEventId(t.client, b.token);
    const early = await sendMany(a, b, 10, 'early');
    const client = new SubscriptionClient(t.url, b.token);
    try {
      // Replay and live overlap: the subscription starts while the next 30 are committed, one after another.
      const sending = sendMany(a, b, 30, 'during');
      void client.subscribe('realtimeEvents', RESUME(start));
      const during = await sending;
      await eventually(() => expect(client.results('realtimeEvents')).toHaveLength(40));
      await sleep(SETTLE_MS);
      const events = client.results<EventData>('realtimeEvents');
      expect(messageIds(events)).toEqual([...early, ...during]);
      expect(ascending(events.map((e) => e.id))).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('without after streams live events only; the four older subscriptions keep working beside it', async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const client = new SubscriptionClient(t.url, b.token);
    try {
      await client.subscribe('messageCreated', 'subscription { messageCreated { id } }');
      const before = await sendMany(a, b, 2, 'before');
      // Delivered by this instance before the live-only subscription starts: it must not get them.
      await eventually(() => expect(client.results('messageCreated')).toHaveLength(2));
      await client.subscribe('realtimeEvents', RESUME(undefined));
      const [live] = await sendMany(a, b, 1, 'live');
      await eventually(() => expect(client.results('realtimeEvents')).toHaveLength(1));
      await eventually(() =>
        expect(client.results('messageCreated')).toEqual([...before, live].map((id) => ({ id }))),
      );
      await sleep(SETTLE_MS);
      expect(messageIds(client.results<EventData>('realtimeEvents'))).toEqual([live]);
    } finally {
      await client.close();
    }
  });

  it('refuses a bad after by name', async () => {
    const b = await createUser(t.client);
    const client = new SubscriptionClient(t.url, b.token);
    try {
      await client.subscribe('realtimeEvents', RESUME('not-an-id'));
      await eventually(() => expect(client.failures('realtimeEvents')).toHaveLength(1));
      expect(client.failures('realtimeEvents')[0]).toMatchObject({
        extensions: { code: 'BAD_USER_INPUT' },
        message: expect.stringMatching(/^after: /),
      });
    } finally {
      await client.close();
    }
  });
});

describe('retention and privacy', () => {
  it('answers CURSOR_EXPIRED to a cursor past the newest event (a restored database), query and subscription', async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    await sendMany(a, b, 1, 'before the restore');
    const newest = await newestEventId(t.client, b.token);
    // A cursor a client kept from a database that went further than this one: no event ever had the id.
    const ahead = (BigInt(newest) + 1000n).toString();
    for (const after of [ahead, '9000000000000000000']) {
      const refused = await t.client.fails(REALTIME_EVENTS, { after }, b.token);
      expect(refused.extensions).toMatchObject({ code: 'CURSOR_EXPIRED', field: 'after' });
      expect(refused.message).toMatch(/^after: this id is past the newest event/);
    }
    const client = new SubscriptionClient(t.url, b.token);
    try {
      await client.subscribe('realtimeEvents', RESUME(ahead));
      await eventually(() => expect(client.failures('realtimeEvents')).toHaveLength(1));
      expect(client.failures('realtimeEvents')[0]).toMatchObject({ extensions: { code: 'CURSOR_EXPIRED' } });
    } finally {
      await client.close();
    }
    // The newest position itself is fine, and so is any id some event had.
    expect(await catchUp(t.client, b.token, newest)).toEqual({ events: [], lastId: newest });
  });

  it('answers CURSOR_EXPIRED to a resume whose missed events are past retention, over HTTP and graphql-ws', async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const start = await newestEventId(t.client, b.token);
    await sendMany(a, b, 3, 'old');
    const old = await catchUp(t.client, b.token, start);
    await age(
      b.id,
      old.events.map((e) => e.id),
    );
    const recent = await sendMany(a, b, 2, 'recent');

    const expired = await t.client.fails(REALTIME_EVENTS, { after: start }, b.token);
    expect(expired.extensions).toMatchObject({ code: 'CURSOR_EXPIRED', retentionHours: 72 });
    expect(expired.message).toMatch(/^after: /);
    const alsoExpired = await t.client.fails(REALTIME_EVENTS, { after: old.events[1].id }, b.token);
    expect(alsoExpired.extensions?.code).toBe('CURSOR_EXPIRED');

    const client = new SubscriptionClient(t.url, b.token);
    try {
      await client.subscribe('realtimeEvents', RESUME(start));
      await eventually(() => expect(client.failures('realtimeEvents')).toHaveLength(1));
      expect(client.failures('realtimeEvents')[0]).toMatchObject({ extensions: { code: 'CURSOR_EXPIRED' } });
      expect(client.results('realtimeEvents')).toEqual([]);
    } finally {
      await client.close();
    }
    // From after the old events, nothing missed is past retention.
    const { events } = await catchUp(t.client, b.token, old.lastId);
    expect(messageIds(events)).toEqual(recent);
  });

  it("treats another user's event id as a position only: its age or existence changes nothing", async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const c = await createUser(t.client);
    const start = await newestEventId(t.client, b.token);
    const [toC] = await sendMany(a, c, 1, 'for C');
    const cEvents = await catchUp(t.client, c.token, '0');
    const cEventId = cEvents.events.find((e) => e.message?.id === toC)?.id as string;
    const toB = await sendMany(a, b, 2, 'for B');

    // C's event is older than retention: B, who had nothing then, can still resume from before it.
    await age(c.id);
    const fromC = await eventPage(t.client, b.token, { after: cEventId });
    const fromBefore = await eventPage(t.client, b.token, { after: start });
    expect(messageIds(fromC.events)).toEqual(toB);
    expect(fromC).toEqual(fromBefore);
    // An id that belongs to nobody answers the same way as one of C's.
    const nobody = (BigInt(fromC.events[0].id) - 1n).toString();
    const fromNobody = await eventPage(t.client, b.token, { after: nobody });
    expect(fromNobody).toEqual(fromC);
    // A fresh user with no events never gets CURSOR_EXPIRED, from the start or from anyone's id.
    const fresh = await createUser(t.client);
    for (const after of ['0', cEventId]) {
      expect(await eventPage(t.client, fresh.token, { after })).toEqual({
        events: [],
        hasMore: false,
        lastId: after,
      });
    }
  });
});
