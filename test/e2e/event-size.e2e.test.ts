import { SEND, sendMessage } from '../fixtures/messages';
import { createUser, loginAdmin } from '../fixtures/users';
import { startTestServer, type TestServer } from '../support/test-server';

// Each control character becomes six bytes ("\u0001") in the JSON of the Pusher event: 2,000 make about 12 KB.
const ESCAPED_TWELVE_KB = '\u0001'.repeat(2000);
const ESCAPED_SIX_KB = '\u0001'.repeat(1000);

const CONVERSATION = 'query C($other: ID!) { conversation(otherUserId: $other) { id detail } }';
const UPDATE_MESSAGE =
  'mutation U($id: ID!, $input: UpdateMessageInput!) { updateMessage(id: $id, input: $input) { id detail } }';
const GET_MESSAGE = 'query G($id: ID!) { message(id: $id) { id detail } }';
const CREATE_NOTIFICATION =
  'mutation C($input: CreateNotificationInput!) { createNotification(input: $input) { id detail } }';
const UPDATE_NOTIFICATION =
  'mutation U($id: ID!, $input: UpdateNotificationInput!) { updateNotification(id: $id, input: $input) { id } }';
const NOTIFICATIONS = 'query { notifications { id title detail } }';

let t: TestServer;
let admin: { id: string; token: string };
beforeAll(async () => {
  t = await startTestServer();
  admin = await loginAdmin(t.client);
});
afterAll(async () => {
  await t.close();
});

it('refuses a message whose Pusher event would pass 10 KB, naming detail, and stores nothing', async () => {
  const a = await createUser(t.client);
  const b = await createUser(t.client);
  const refused = await t.client.fails(SEND, { to: b.id, detail: ESCAPED_TWELVE_KB }, a.token);
  expect(refused.extensions?.code).toBe('BAD_USER_INPUT');
  expect(refused.extensions?.field).toBe('detail');
  expect(refused.message).toMatch(/^detail: /);
  const { conversation } = await t.client.ok<{ conversation: unknown[] }>(
    CONVERSATION,
    { other: a.id },
    b.token,
  );
  expect(conversation).toEqual([]);

  // Under the limit, control characters are stored and come back as they were sent.
  const sent = await sendMessage(t.client, a.token, b.id, ESCAPED_SIX_KB);
  expect(sent.detail).toBe(ESCAPED_SIX_KB);
});

it('refuses an admin edit that grows a message past the limit, and keeps the message as it was', async () => {
  const a = await createUser(t.client);
  const b = await createUser(t.client);
  const sent = await sendMessage(t.client, a.token, b.id, ESCAPED_SIX_KB);
  const refused = await t.client.fails(
    UPDATE_MESSAGE,
    { id: sent.id, input: { detail: ESCAPED_TWELVE_KB } },
    admin.token,
  );
  expect(refused.extensions?.code).toBe('BAD_USER_INPUT');
  expect(refused.extensions?.field).toBe('detail');
  const { message } = await t.client.ok<{ message: { detail: string } }>(
    GET_MESSAGE,
    { id: sent.id },
    b.token,
  );
  expect(message.detail).toBe(ESCAPED_SIX_KB);
});

it('refuses a notification past the limit, for every receiver, and an admin edit growing one past it', async () => {
  const a = await createUser(t.client);
  const b = await createUser(t.client);
  const refused = await t.client.fails(
    CREATE_NOTIFICATION,
    { input: { title: 'Big', detail: ESCAPED_TWELVE_KB, receiverIds: [a.id, b.id] } },
    admin.token,
  );
  expect(refused.extensions?.code).toBe('BAD_USER_INPUT');
  expect(refused.extensions?.field).toBe('detail');
  for (const user of [a, b]) {
    expect(
      (await t.client.ok<{ notifications: unknown[] }>(NOTIFICATIONS, {}, user.token)).notifications,
    ).toEqual([]);
  }

  const { createNotification } = await t.client.ok<{ createNotification: { id: string }[] }>(
    CREATE_NOTIFICATION,
    { input: { title: 'Small', detail: 'fits', receiverId: a.id } },
    admin.token,
  );
  const grown = await t.client.fails(
    UPDATE_NOTIFICATION,
    { id: createNotification[0].id, input: { detail: ESCAPED_TWELVE_KB } },
    admin.token,
  );
  expect(grown.extensions?.code).toBe('BAD_USER_INPUT');
  expect(grown.extensions?.field).toBe('detail');
  const { notifications } = await t.client.ok<{ notifications: unknown[] }>(NOTIFICATIONS, {}, a.token);
  expect(notifications).toEqual([{ id: createNotification[0].id, title: 'Small', detail: 'fits' }]);
});

it('refuses text with a NUL character as bad input, anonymously or not, and stores nothing', async () => {
  const a = await createUser(t.client);
  const b = await createUser(t.client);
  const login = await t.client.request(
    'mutation L($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }',
    { e: 'nobody\u0000@example.com', p: 'whatever-password' },
  );
  expect(login.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expect(login.errors?.[0]?.message).toMatch(/NUL/);

  const sent = await t.client.request(SEND, { to: b.id, detail: 'before\u0000after' }, a.token);
  expect(sent.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expect(sent.errors?.[0]?.message).toMatch(/NUL/);
  const stored = await t.client.ok<{ conversation: unknown[] }>(CONVERSATION, { other: b.id }, a.token);
  expect(stored.conversation).toEqual([]);
});
