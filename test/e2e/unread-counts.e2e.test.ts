import { sendMessage } from '../fixtures/messages';
import { createUser, LOGIN, loginAdmin, type TestUser } from '../fixtures/users';
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

const COUNTS = 'unseenMessages unseenConversations unseenNotifications';
const CHANGED = `subscription { unreadCountsChanged { ${COUNTS} } }`;
const QUERY = `{ unreadCounts { ${COUNTS} } }`;
const SEEN = 'mutation M($other: ID!) { markConversationSeen(otherUserId: $other) }';
const NOTIFY = 'mutation C($input: CreateNotificationInput!) { createNotification(input: $input) { id } }';
const UPDATE_NOTIFICATION =
  'mutation U($id: ID!, $input: UpdateNotificationInput!) { updateNotification(id: $id, input: $input) { id } }';
const UPDATE_MESSAGE =
  'mutation U($id: ID!, $input: UpdateMessageInput!) { updateMessage(id: $id, input: $input) { id } }';
const ALL_SEEN = 'mutation { markAllNotificationsSeen }';

type Counts = [messages: number, conversations: number, notifications: number];

/** One user's devices: two graphql-ws sockets of two sessions, and a legacy pusher-js client. */
class Devices {
  readonly phone: SubscriptionClient;
  readonly laptop: SubscriptionClient;
  readonly legacy: LegacyPusherClient;

  private constructor(
    readonly user: TestUser,
    secondToken: string,
  ) {
    this.phone = new SubscriptionClient(t.url, user.token);
    this.laptop = new SubscriptionClient(t.url, secondToken);
    this.legacy = new LegacyPusherClient({
      wsPort: t.server.port,
      authUrl: `${t.url}/broadcasting/auth`,
      token: user.token,
    });
  }

  static async open(user: TestUser): Promise<Devices> {
    const { login } = await t.client.ok<{ login: { accessToken: string } }>(LOGIN, {
      email: user.email,
      password: user.password,
    });
    const devices = new Devices(user, login.accessToken);
    await devices.phone.subscribe('unreadCountsChanged', CHANGED);
    await devices.laptop.subscribe('unreadCountsChanged', CHANGED);
    await devices.legacy.subscribe(messageChannel(user.id));
    return devices;
  }

  /** What each device received so far, as [messages, conversations, notifications]. */
  received(): { phone: Counts[]; laptop: Counts[]; legacy: Counts[] } {
    const graphql = (client: SubscriptionClient) =>
      client
        .results<{ unseenMessages: number; unseenConversations: number; unseenNotifications: number }>(
          'unreadCountsChanged',
        )
        .map((c): Counts => [c.unseenMessages, c.unseenConversations, c.unseenNotifications]);
    const legacy = this.legacy.events('UnreadCountsUpdated', messageChannel(this.user.id)).map((event) => {
      const data = event.data as unknown as Record<string, number>;
      return [data.unseen_messages, data.unseen_conversations, data.unseen_notifications] as Counts;
    });
    return { phone: graphql(this.phone), laptop: graphql(this.laptop), legacy };
  }

  /** Waits until every device has exactly `expected`, and checks the query agrees with the last of them. */
  async agree(expected: Counts[]): Promise<void> {
    await eventually(() =>
      expect(this.received()).toEqual({ phone: expected, laptop: expected, legacy: expected }),
    );
    const { unreadCounts } = await t.client.ok<{ unreadCounts: Record<string, number> }>(
      QUERY,
      {},
      this.user.token,
    );
    const [messages, conversations, notifications] = expected[expected.length - 1] ?? [0, 0, 0];
    expect(unreadCounts).toEqual({
      unseenMessages: messages,
      unseenConversations: conversations,
      unseenNotifications: notifications,
    });
  }

  async close(): Promise<void> {
    this.legacy.disconnect();
    await this.phone.close();
    await this.laptop.close();
  }
}

it('counters on every device of a user agree after every kind of change: one update per change, none without one', async () => {
  const admin = await loginAdmin(t.client);
  const a = await createUser(t.client);
  const b = await createUser(t.client);
  const c = await createUser(t.client);
  const bDevices = await Devices.open(b);
  const cDevices = await Devices.open(c);
  const aDevices = await Devices.open(a);
  const expected: Counts[] = [];
  const step = async (counts: Counts | undefined, change: () => Promise<unknown>) => {
    await change();
    if (counts) expected.push(counts);
    await bDevices.agree(expected);
  };
  try {
    const m1 = await sendMessage(t.client, a.token, b.id, 'one');
    expected.push([1, 1, 0]);
    await bDevices.agree(expected);
    await step([2, 1, 0], () => sendMessage(t.client, a.token, b.id, 'two'));
    const m3 = await sendMessage(t.client, c.token, b.id, 'three');
    expected.push([3, 2, 0]);
    await bDevices.agree(expected);
    // Two messages marked seen in one call: one update.
    await step([1, 1, 0], () => t.client.ok(SEEN, { other: a.id }, b.token));
    // Changes that move no count send nothing: the next update is the next one expected.
    await step(undefined, () => t.client.ok(SEEN, { other: a.id }, b.token));
    await step(undefined, () =>
      t.client.ok(UPDATE_MESSAGE, { id: m3.id, input: { detail: 'edited' } }, admin.token),
    );
    const refused = await t.client.request(
      NOTIFY,
      { input: { receiverIds: [b.id, '999999'], title: 'T', detail: 'D' } },
      admin.token,
    );
    expect(refused.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const notify = async () => {
      const { createNotification } = await t.client.ok<{ createNotification: { id: string }[] }>(
        NOTIFY,
        { input: { receiverId: b.id, title: 'T', detail: 'D' } },
        admin.token,
      );
      return createNotification[0].id;
    };
    const n1 = await notify();
    expected.push([1, 1, 1]);
    await bDevices.agree(expected);
    await notify();
    expected.push([1, 1, 2]);
    await bDevices.agree(expected);
    await step([1, 1, 1], () =>
      t.client.ok(UPDATE_NOTIFICATION, { id: n1, input: { status: 'SEEN' } }, b.token),
    );
    await step([1, 1, 0], () => t.client.ok(ALL_SEEN, {}, b.token));
    await step(undefined, () => t.client.ok(ALL_SEEN, {}, b.token));
    await step([0, 0, 0], () =>
      t.client.ok(UPDATE_MESSAGE, { id: m3.id, input: { status: 'HIDDEN' } }, b.token),
    );
    // Admin edits: a status back to unseen, then the receiver moved from B to C (both users' counts move).
    await step([1, 1, 0], () =>
      t.client.ok(UPDATE_MESSAGE, { id: m1.id, input: { status: 'UNSEEN' } }, admin.token),
    );
    await step([0, 0, 0], () =>
      t.client.ok(UPDATE_MESSAGE, { id: m1.id, input: { receiverId: c.id } }, admin.token),
    );
    await cDevices.agree([[1, 1, 0]]);
    // Someone else's messages move nothing of B's.
    await step(undefined, () => sendMessage(t.client, a.token, c.id, 'for C'));
    await cDevices.agree([
      [1, 1, 0],
      [2, 1, 0],
    ]);
    await step([1, 1, 0], () => sendMessage(t.client, c.token, b.id, 'last'));
    await sleep(SETTLE_MS);
    await bDevices.agree(expected);
    expect(expected).toHaveLength(12);
    // A only sent, read by others: its counts never moved.
    expect(aDevices.received()).toEqual({ phone: [], laptop: [], legacy: [] });
    // The legacy payload, to the byte.
    const [first] = bDevices.legacy.events('UnreadCountsUpdated');
    expect(JSON.stringify(first.data)).toBe(
      '{"unseen_messages":1,"unseen_conversations":1,"unseen_notifications":0}',
    );
  } finally {
    await bDevices.close();
    await cDevices.close();
    await aDevices.close();
  }
}, 60_000);

it('one markConversationSeen of 50 messages is one update, and the legacy message events stay as they were', async () => {
  const a = await createUser(t.client);
  const b = await createUser(t.client);
  for (let i = 0; i < 50; i++) await sendMessage(t.client, a.token, b.id, `m${i}`);
  const devices = await Devices.open(b);
  try {
    await t.client.ok(SEEN, { other: a.id }, b.token);
    await devices.agree([[0, 0, 0]]);
    await eventually(() => expect(devices.legacy.events('MessageUpdated')).toHaveLength(50));
    await sleep(SETTLE_MS);
    await devices.agree([[0, 0, 0]]);
    const [updated] = devices.legacy.events('MessageUpdated');
    expect(Object.keys(updated.data)).toEqual(['model', 'connection', 'queue']);
    expect(Object.keys(updated.data.model)).toEqual([
      'message_id',
      'detail',
      'status',
      'sender_id',
      'receiver_id',
      'created_at',
      'updated_at',
    ]);
  } finally {
    await devices.close();
  }
}, 60_000);

it('concurrent changes for one user take turns: each announces the counts it left, in commit order', async () => {
  const senders = await Promise.all(Array.from({ length: 5 }, () => createUser(t.client)));
  const b = await createUser(t.client);
  const devices = await Devices.open(b);
  try {
    await Promise.all(
      senders.map(async (sender) => {
        for (let i = 0; i < 4; i++) await sendMessage(t.client, sender.token, b.id, `${i}`);
      }),
    );
    await eventually(() => expect(devices.received().phone).toHaveLength(20));
    await sleep(SETTLE_MS);
    const { phone } = devices.received();
    expect(phone.map(([messages]) => messages)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(phone[19]).toEqual([20, 5, 0]);
    await devices.agree(phone);
  } finally {
    await devices.close();
  }
}, 60_000);

it('concurrent senders, markers and notifiers end every device on the exact counts the rows hold', async () => {
  const admin = await loginAdmin(t.client);
  const senders = await Promise.all(Array.from({ length: 6 }, () => createUser(t.client)));
  const b = await createUser(t.client);
  const devices = await Devices.open(b);
  try {
    const notify = () =>
      t.client.ok(
        NOTIFY,
        { input: { receiverIds: [b.id, senders[0].id], title: 'T', detail: 'D' } },
        admin.token,
      );
    await Promise.all([
      ...senders.map(async (sender, s) => {
        for (let i = 0; i < 8; i++) {
          await sendMessage(t.client, sender.token, b.id, `${s}.${i}`);
          // B reads some conversations while their senders are still writing.
          if (i % 3 === s % 3) await t.client.ok(SEEN, { other: sender.id }, b.token);
        }
      }),
      (async () => {
        for (let i = 0; i < 6; i++) {
          await notify();
          if (i % 2 === 1) await t.client.ok(ALL_SEEN, {}, b.token);
        }
      })(),
      (async () => {
        for (let i = 0; i < 6; i++) await t.client.ok(SEEN, { other: senders[i].id }, b.token);
      })(),
    ]);
    await notify();
    // The truth, counted from the rows through queries that do not read the counters.
    const truth = await t.client.ok<{
      messageCount: number;
      notificationCount: number;
      conversations: { unseenCount: number }[];
    }>(
      `{ messageCount(status: UNSEEN) notificationCount(status: UNSEEN)
         conversations(first: 50) { unseenCount } }`,
      {},
      b.token,
    );
    const expected: Counts = [
      truth.messageCount,
      truth.conversations.filter((c) => c.unseenCount > 0).length,
      truth.notificationCount,
    ];
    expect(truth.notificationCount).toBeGreaterThan(0);
    await eventually(() => {
      const received = devices.received();
      expect([received.phone.at(-1), received.laptop.at(-1), received.legacy.at(-1)]).toEqual([
        expected,
        expected,
        expected,
      ]);
    }, 30_000);
    await sleep(SETTLE_MS);
    const { phone, laptop, legacy } = devices.received();
    expect([phone.at(-1), laptop.at(-1), legacy.at(-1)]).toEqual([expected, expected, expected]);
    const { unreadCounts } = await t.client.ok<{ unreadCounts: Record<string, number> }>(QUERY, {}, b.token);
    expect(unreadCounts).toEqual({
      unseenMessages: expected[0],
      unseenConversations: expected[1],
      unseenNotifications: expected[2],
    });
  } finally {
    await devices.close();
  }
}, 120_000);

it('refuses unreadCountsChanged without a valid token', async () => {
  const client = new SubscriptionClient(t.url, 'not-a-token');
  try {
    await eventually(() => expect(client.closes).toEqual([4403]));
  } finally {
    await client.close();
  }
});
