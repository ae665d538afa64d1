import { sendMessage } from '../fixtures/messages';
import { createUser, loginAdmin, type TestUser } from '../fixtures/users';
import { LegacyPusherClient, messageChannel } from '../support/legacy-pusher-client';
import { TYPING } from '../support/presence';
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

const TYPING_CHANGED = 'subscription { typingChanged { userId typing } }';

/** The receiver's two views: a graphql-ws subscription and a legacy pusher-js client on their message channel. */
async function watch(receiver: TestUser) {
  const gql = new SubscriptionClient(t.url, receiver.token);
  await gql.subscribe('typingChanged', TYPING_CHANGED);
  const legacy = new LegacyPusherClient({
    wsPort: t.server.port,
    authUrl: `${t.url}/broadcasting/auth`,
    token: receiver.token,
  });
  await legacy.subscribe(messageChannel(receiver.id));
  return {
    gql,
    legacy,
    changes: () => gql.results<{ userId: string; typing: boolean }>('typingChanged'),
    pusher: () => legacy.events('Typing', messageChannel(receiver.id)).map((e) => e.data),
    async close() {
      legacy.disconnect();
      await gql.close();
    },
  };
}

const typing = (from: TestUser, to: TestUser) =>
  t.client.ok<{ typing: boolean }>(TYPING, { to: to.id }, from.token);

it('50 typing calls in 2 s send at most 2 events, then one typing: false, on GraphQL and Pusher alike', async () => {
  const typist = await createUser(t.client);
  const receiver = await createUser(t.client);
  // Typing goes only to someone who has written to the typist.
  await sendMessage(t.client, receiver.token, typist.id, 'hi');
  const view = await watch(receiver);
  try {
    // One call every 40 ms, as a client would on each keystroke, without waiting for the answers.
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => sleep(i * 40).then(() => typing(typist, receiver))),
    );
    expect(answers).toEqual(Array.from({ length: 50 }, () => ({ typing: true })));
    await eventually(() => expect(view.changes().filter((c) => !c.typing)).toHaveLength(1), 15_000);
    await sleep(SETTLE_MS);
    const changes = view.changes();
    const started = changes.filter((c) => c.typing);
    expect(started.length).toBeGreaterThanOrEqual(1);
    expect(started.length).toBeLessThanOrEqual(2);
    expect(changes).toEqual([...started, { userId: typist.id, typing: false }]);
    expect(started.every((c) => c.userId === typist.id)).toBe(true);

    await eventually(() => expect(view.pusher()).toHaveLength(changes.length));
    expect(view.pusher()).toEqual(
      changes.map((c) => ({
        model: { sender_id: Number(typist.id), receiver_id: Number(receiver.id), typing: c.typing },
        connection: null,
        queue: null,
      })),
    );
  } finally {
    await view.close();
  }
}, 30_000);

it('sending the message ends the indicator at once, and typing again starts it again', async () => {
  const typist = await createUser(t.client);
  const receiver = await createUser(t.client);
  // Typing goes only to someone who has written to the typist.
  await sendMessage(t.client, receiver.token, typist.id, 'hi');
  const view = await watch(receiver);
  try {
    await typing(typist, receiver);
    await eventually(() => expect(view.changes()).toEqual([{ userId: typist.id, typing: true }]));
    await sendMessage(t.client, typist.token, receiver.id, 'done typing');
    await eventually(() => expect(view.changes()).toHaveLength(2));
    expect(view.changes()[1]).toEqual({ userId: typist.id, typing: false });
    await typing(typist, receiver);
    await eventually(() => expect(view.changes()).toHaveLength(3));
    expect(view.changes()[2]).toEqual({ userId: typist.id, typing: true });
    // A message to someone else, or with no indicator on, ends nothing and sends nothing.
    const other = await createUser(t.client);
    await sendMessage(t.client, typist.token, other.id, 'elsewhere');
    await sendMessage(t.client, receiver.token, typist.id, 'a reply');
    await sleep(SETTLE_MS);
    expect(view.changes()).toHaveLength(3);
  } finally {
    await view.close();
  }
}, 30_000);

it('goes only to the receiver: the typist and a third user hear nothing', async () => {
  const typist = await createUser(t.client);
  const receiver = await createUser(t.client);
  // Typing goes only to someone who has written to the typist.
  await sendMessage(t.client, receiver.token, typist.id, 'hi');
  const third = await createUser(t.client);
  const views = await Promise.all([watch(typist), watch(third)]);
  const view = await watch(receiver);
  try {
    await typing(typist, receiver);
    await eventually(() => expect(view.changes()).toHaveLength(1));
    await sleep(SETTLE_MS);
    for (const other of views) {
      expect(other.changes()).toEqual([]);
      expect(other.pusher()).toEqual([]);
    }
  } finally {
    await view.close();
    for (const other of views) await other.close();
  }
});

it('refuses typing to someone who has not written to the typist, even after the typist wrote to them', async () => {
  const typist = await createUser(t.client);
  const stranger = await createUser(t.client);
  const view = await watch(stranger);
  try {
    await sendMessage(t.client, typist.token, stranger.id, 'hi');
    const refused = await t.client.fails(TYPING, { to: stranger.id }, typist.token);
    expect(refused.extensions?.code).toBe('FORBIDDEN');
    // The stranger, who received a message from the typist, may type back; an admin may type to anyone.
    expect(await typing(stranger, typist)).toEqual({ typing: true });
    const admin = await loginAdmin(t.client);
    expect((await t.client.ok<{ typing: boolean }>(TYPING, { to: stranger.id }, admin.token)).typing).toBe(
      true,
    );
    await eventually(() => expect(view.changes()).toEqual([{ userId: admin.id, typing: true }]));
    await sleep(SETTLE_MS);
    expect(view.changes()).toEqual([{ userId: admin.id, typing: true }]);
  } finally {
    await view.close();
  }
});

it('refuses bad input: typing to oneself, to no one, a malformed id, without a token', async () => {
  const typist = await createUser(t.client);
  const self = await t.client.fails(TYPING, { to: typist.id }, typist.token);
  expect(self.extensions?.code).toBe('BAD_USER_INPUT');
  const nobody = await t.client.fails(TYPING, { to: '999999' }, typist.token);
  expect(nobody.extensions?.code).toBe('NOT_FOUND');
  const malformed = await t.client.fails(TYPING, { to: 'x' }, typist.token);
  expect(malformed.extensions?.code).toBe('BAD_USER_INPUT');
  const anonymous = await t.client.fails(TYPING, { to: typist.id });
  expect(anonymous.extensions?.code).toBe('UNAUTHENTICATED');
});

it('typingChanged needs an authenticated socket', async () => {
  const anonymous = new SubscriptionClient(t.url, undefined);
  try {
    await anonymous.subscribe('typingChanged', TYPING_CHANGED);
    await eventually(() => expect(anonymous.closes).toEqual([4403]));
  } finally {
    await anonymous.close();
  }
});
