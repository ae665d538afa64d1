import { MESSAGE_FIELDS, type MessageData, SEND, sendMessage } from '../fixtures/messages';
import { createUser, loginAdmin, type TestUser } from '../fixtures/users';
import { startTestServer, type TestServer } from '../support/test-server';

const GET = `query M($id: ID!) { message(id: $id) { ${MESSAGE_FIELDS} sender { id name } receiver { id name } } }`;
const UPDATE = `mutation U($id: ID!, $input: UpdateMessageInput!) { updateMessage(id: $id, input: $input) { ${MESSAGE_FIELDS} } }`;
const CONVERSATION = `query C($other: ID!, $first: Int, $before: ID, $userId: ID) {
  conversation(otherUserId: $other, first: $first, before: $before, userId: $userId) { id detail senderId receiverId }
}`;
const COUNT =
  'query N($other: ID, $status: MessageStatus, $userId: ID) { messageCount(otherUserId: $other, status: $status, userId: $userId) }';
const CONVERSATIONS = `query L($first: Int, $before: ID, $userId: ID) {
  conversations(first: $first, before: $before, userId: $userId) {
    otherUser { id name } lastMessage { id detail senderId } unseenCount
  }
}`;
const UNSEEN_CONVERSATIONS = 'query { unseenConversationCount }';
const MARK_SEEN = 'mutation K($other: ID!) { markConversationSeen(otherUserId: $other) }';
const ALL = 'query A($first: Int, $before: ID) { allMessages(first: $first, before: $before) { id } }';

let t: TestServer;
let admin: { id: string; token: string };
beforeAll(async () => {
  t = await startTestServer();
  admin = await loginAdmin(t.client);
});
afterAll(async () => {
  await t.close();
});

async function trio(): Promise<[TestUser, TestUser, TestUser]> {
  return [await createUser(t.client), await createUser(t.client), await createUser(t.client)];
}

async function conversation(token: string, other: string, extra: Record<string, unknown> = {}) {
  const { conversation: messages } = await t.client.ok<{ conversation: MessageData[] }>(
    CONVERSATION,
    { other, ...extra },
    token,
  );
  return messages;
}

describe('sendMessage', () => {
  it('stores a message from the viewer to the receiver, unseen', async () => {
    const [a, b] = await trio();
    const message = await sendMessage(t.client, a.token, b.id, 'Hello B');
    expect(message).toMatchObject({ detail: 'Hello B', status: 'UNSEEN', senderId: a.id, receiverId: b.id });
    expect(new Date((message as unknown as { createdAt: string }).createdAt).getTime()).not.toBeNaN();
  });

  it('refuses bad input and stores nothing', async () => {
    const [a, b] = await trio();
    const cases: [Record<string, unknown>, string | undefined, string][] = [
      [{ to: '999999', detail: 'hi' }, a.token, 'NOT_FOUND'],
      [{ to: a.id, detail: 'hi' }, a.token, 'BAD_USER_INPUT'],
      [{ to: b.id, detail: '' }, a.token, 'BAD_USER_INPUT'],
      [{ to: b.id, detail: 'x'.repeat(2001) }, a.token, 'BAD_USER_INPUT'],
      [{ to: 'abc', detail: 'hi' }, a.token, 'BAD_USER_INPUT'],
      [{ to: b.id, detail: 'hi' }, undefined, 'UNAUTHENTICATED'],
      [{ to: b.id, detail: 'hi' }, 'forged.token.value', 'UNAUTHENTICATED'],
    ];
    for (const [variables, token, code] of cases) {
      expect((await t.client.fails(SEND, variables, token)).extensions?.code).toBe(code);
    }
    const wrongType = await t.client.request(SEND, { to: b.id, detail: 42 }, a.token);
    expect(wrongType.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(await conversation(a.token, b.id)).toEqual([]);
  });

  it('names the field in a validation error', async () => {
    const [a, b] = await trio();
    const error = await t.client.fails(SEND, { to: b.id, detail: '' }, a.token);
    expect(error.message).toContain('detail');
  });
});

describe('message', () => {
  it('is readable by its sender, its receiver and an admin, with both users', async () => {
    const [a, b, c] = await trio();
    const sent = await sendMessage(t.client, a.token, b.id, 'private');
    for (const token of [a.token, b.token, admin.token]) {
      const { message } = await t.client.ok<{
        message: { sender: { id: string }; receiver: { id: string } };
      }>(GET, { id: sent.id }, token);
      expect(message).toMatchObject({
        sender: { id: a.id, name: a.name },
        receiver: { id: b.id, name: b.name },
      });
    }
    expect((await t.client.fails(GET, { id: sent.id }, c.token)).extensions?.code).toBe('FORBIDDEN');
    expect((await t.client.fails(GET, { id: sent.id })).extensions?.code).toBe('UNAUTHENTICATED');
    expect((await t.client.fails(GET, { id: '987654' }, a.token)).extensions?.code).toBe('NOT_FOUND');
    expect((await t.client.fails(GET, { id: '-1' }, a.token)).extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('updateMessage', () => {
  it('lets the receiver and the sender change the status', async () => {
    const [a, b] = await trio();
    const sent = await sendMessage(t.client, a.token, b.id, 'hi');
    const seen = await t.client.ok<{ updateMessage: MessageData }>(
      UPDATE,
      { id: sent.id, input: { status: 'SEEN' } },
      b.token,
    );
    expect(seen.updateMessage.status).toBe('SEEN');
    const hidden = await t.client.ok<{ updateMessage: MessageData }>(
      UPDATE,
      { id: sent.id, input: { status: 'HIDDEN' } },
      a.token,
    );
    expect(hidden.updateMessage.status).toBe('HIDDEN');
  });

  it('refuses other fields from a participant, and any change from another user, changing nothing', async () => {
    const [a, b, c] = await trio();
    const sent = await sendMessage(t.client, a.token, b.id, 'original');
    const detail = await t.client.fails(
      UPDATE,
      { id: sent.id, input: { detail: 'edited', status: 'SEEN' } },
      a.token,
    );
    expect(detail.extensions?.code).toBe('FORBIDDEN');
    const receiver = await t.client.fails(UPDATE, { id: sent.id, input: { receiverId: c.id } }, b.token);
    expect(receiver.extensions?.code).toBe('FORBIDDEN');
    const stranger = await t.client.fails(UPDATE, { id: sent.id, input: { status: 'SEEN' } }, c.token);
    expect(stranger.extensions?.code).toBe('FORBIDDEN');
    const { message } = await t.client.ok<{ message: MessageData }>(GET, { id: sent.id }, a.token);
    expect(message).toMatchObject({ detail: 'original', status: 'UNSEEN', receiverId: b.id });
  });

  it('lets an admin change every field, and checks the users exist', async () => {
    const [a, b, c] = await trio();
    const sent = await sendMessage(t.client, a.token, b.id, 'original');
    const missing = await t.client.fails(
      UPDATE,
      { id: sent.id, input: { receiverId: '888888' } },
      admin.token,
    );
    expect(missing.extensions?.code).toBe('NOT_FOUND');
    const { updateMessage } = await t.client.ok<{ updateMessage: MessageData }>(
      UPDATE,
      { id: sent.id, input: { detail: 'moderated', receiverId: c.id, status: 'HIDDEN' } },
      admin.token,
    );
    expect(updateMessage).toMatchObject({
      detail: 'moderated',
      receiverId: c.id,
      status: 'HIDDEN',
      senderId: a.id,
    });
    expect(
      (await t.client.fails(UPDATE, { id: '777777', input: { status: 'SEEN' } }, admin.token)).extensions
        ?.code,
    ).toBe('NOT_FOUND');
    // Not even an admin makes a message from and to one user, which sendMessage refuses.
    const toSender = await t.client.fails(UPDATE, { id: sent.id, input: { receiverId: a.id } }, admin.token);
    expect(toSender.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'receiverId' });
    const fromReceiver = await t.client.fails(
      UPDATE,
      { id: sent.id, input: { senderId: c.id } },
      admin.token,
    );
    expect(fromReceiver.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'senderId' });
    const { message: stored } = await t.client.ok<{ message: MessageData }>(
      'query Q($id: ID!) { message(id: $id) { id senderId receiverId } }',
      { id: sent.id },
      admin.token,
    );
    expect(stored).toMatchObject({ id: sent.id, senderId: a.id, receiverId: c.id });
  });
});

describe('conversation', () => {
  it('pages newest first by a before id, both directions, without other people', async () => {
    const [a, b, c] = await trio();
    const sent: MessageData[] = [];
    for (let i = 0; i < 25; i++) {
      const [from, to] = i % 2 === 0 ? [a, b] : [b, a];
      sent.push(await sendMessage(t.client, from.token, to.id, `m${i}`));
    }
    await sendMessage(t.client, c.token, a.id, 'not in this conversation');
    const page1 = await conversation(a.token, b.id, { first: 10 });
    const page2 = await conversation(a.token, b.id, { first: 10, before: page1[9].id });
    const page3 = await conversation(a.token, b.id, { first: 10, before: page2[9].id });
    const details = [...page1, ...page2, ...page3].map((m) => m.detail);
    expect(details).toEqual(sent.map((m) => m.detail).reverse());
    expect(page3).toHaveLength(5);
    expect(await conversation(b.token, a.id, { first: 3 })).toEqual(page1.slice(0, 3));
  });

  it('shows each message with its own sender and receiver, as they are now', async () => {
    const [a, b] = await trio();
    await sendMessage(t.client, a.token, b.id, 'a to b');
    await sendMessage(t.client, b.token, a.id, 'b to a');
    await t.client.ok('mutation { updateProfile(input: { name: "Renamed B" }) { id } }', {}, b.token);
    const query = `query C($other: ID!) {
      conversation(otherUserId: $other) { detail sender { id name email } receiver { id name email } }
    }`;
    const { conversation: page } = await t.client.ok<{
      conversation: { detail: string; sender: unknown; receiver: unknown }[];
    }>(query, { other: b.id }, a.token);
    // The users come from the same statement as the page: fresh, each in its place, contact data only for the viewer.
    const me = { id: a.id, name: expect.any(String), email: expect.any(String) };
    const other = { id: b.id, name: 'Renamed B', email: null };
    expect(page).toEqual([
      { detail: 'b to a', sender: other, receiver: me },
      { detail: 'a to b', sender: me, receiver: other },
    ]);
  });

  it("shows another user's conversation to an admin only", async () => {
    const [a, b, c] = await trio();
    await sendMessage(t.client, a.token, b.id, 'secret');
    const refused = await t.client.fails(CONVERSATION, { other: b.id, userId: a.id }, c.token);
    expect(refused.extensions?.code).toBe('FORBIDDEN');
    const seen = await conversation(admin.token, b.id, { userId: a.id });
    expect(seen.map((m) => m.detail)).toEqual(['secret']);
  });

  it('refuses a page size over 100 or under 1', async () => {
    const [a, b] = await trio();
    for (const first of [101, 0]) {
      const error = await t.client.fails(CONVERSATION, { other: b.id, first }, a.token);
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.message).toContain('first');
    }
  });
});

describe('counts, latest chats and marking seen', () => {
  it('counts, lists the latest chats with unseen counts, and marks a conversation seen', async () => {
    const [a, b, c] = await trio();
    await sendMessage(t.client, b.token, a.id, 'b1');
    await sendMessage(t.client, b.token, a.id, 'b2');
    await sendMessage(t.client, c.token, a.id, 'c1');
    await sendMessage(t.client, a.token, b.id, 'a-to-b');

    expect(await t.client.ok(COUNT, {}, a.token)).toEqual({ messageCount: 3 });
    expect(await t.client.ok(COUNT, { other: b.id, status: 'UNSEEN' }, a.token)).toEqual({ messageCount: 2 });
    expect(await t.client.ok(UNSEEN_CONVERSATIONS, {}, a.token)).toEqual({ unseenConversationCount: 2 });

    const { conversations } = await t.client.ok<{
      conversations: { otherUser: { id: string }; lastMessage: { detail: string }; unseenCount: number }[];
    }>(CONVERSATIONS, {}, a.token);
    expect(conversations.map((x) => [x.otherUser.id, x.lastMessage.detail, x.unseenCount])).toEqual([
      [b.id, 'a-to-b', 2],
      [c.id, 'c1', 1],
    ]);

    expect(await t.client.ok(MARK_SEEN, { other: b.id }, a.token)).toEqual({ markConversationSeen: 2 });
    expect(await t.client.ok(MARK_SEEN, { other: b.id }, a.token)).toEqual({ markConversationSeen: 0 });
    expect(await t.client.ok(COUNT, { other: b.id, status: 'UNSEEN' }, a.token)).toEqual({ messageCount: 0 });
    expect(await t.client.ok(UNSEEN_CONVERSATIONS, {}, a.token)).toEqual({ unseenConversationCount: 1 });
    // b's own messages to a were marked, not a's message to b.
    expect(await t.client.ok(COUNT, { status: 'UNSEEN' }, b.token)).toEqual({ messageCount: 1 });
  });

  it('pages the latest chats with before', async () => {
    const [a, b, c] = await trio();
    const d = await createUser(t.client);
    await sendMessage(t.client, b.token, a.id, 'from b');
    await sendMessage(t.client, c.token, a.id, 'from c');
    const last = await sendMessage(t.client, d.token, a.id, 'from d');
    const page1 = await t.client.ok<{
      conversations: { otherUser: { id: string }; lastMessage: { id: string } }[];
    }>(CONVERSATIONS, { first: 2 }, a.token);
    expect(page1.conversations.map((x) => x.otherUser.id)).toEqual([d.id, c.id]);
    expect(page1.conversations[0].lastMessage.id).toBe(last.id);
    const page2 = await t.client.ok<{ conversations: { otherUser: { id: string } }[] }>(
      CONVERSATIONS,
      { first: 2, before: page1.conversations[1].lastMessage.id },
      a.token,
    );
    expect(page2.conversations.map((x) => x.otherUser.id)).toEqual([b.id]);
  });

  it("keeps other users' counts and chats for admins", async () => {
    const [a, b, c] = await trio();
    await sendMessage(t.client, b.token, a.id, 'hello');
    expect((await t.client.fails(COUNT, { userId: a.id }, c.token)).extensions?.code).toBe('FORBIDDEN');
    expect((await t.client.fails(CONVERSATIONS, { userId: a.id }, c.token)).extensions?.code).toBe(
      'FORBIDDEN',
    );
    expect(await t.client.ok(COUNT, { userId: a.id }, admin.token)).toEqual({ messageCount: 1 });
    const { conversations } = await t.client.ok<{ conversations: unknown[] }>(
      CONVERSATIONS,
      { userId: a.id },
      admin.token,
    );
    expect(conversations).toHaveLength(1);
    // A user's own id in userId is no escalation.
    expect(await t.client.ok(COUNT, { userId: a.id }, a.token)).toEqual({ messageCount: 1 });
  });

  it('refuses markConversationSeen without a login or with a bad id', async () => {
    const [a] = await trio();
    expect((await t.client.fails(MARK_SEEN, { other: a.id })).extensions?.code).toBe('UNAUTHENTICATED');
    expect((await t.client.fails(MARK_SEEN, { other: 'x' }, a.token)).extensions?.code).toBe(
      'BAD_USER_INPUT',
    );
  });
});

describe('allMessages', () => {
  it('lists every message newest first for an admin only', async () => {
    const [a, b] = await trio();
    const first = await sendMessage(t.client, a.token, b.id, 'one');
    const second = await sendMessage(t.client, b.token, a.id, 'two');
    const { allMessages } = await t.client.ok<{ allMessages: { id: string }[] }>(
      ALL,
      { first: 2 },
      admin.token,
    );
    expect(allMessages.map((m) => m.id)).toEqual([second.id, first.id]);
    const older = await t.client.ok<{ allMessages: { id: string }[] }>(
      ALL,
      { first: 1, before: second.id },
      admin.token,
    );
    expect(older.allMessages.map((m) => m.id)).toEqual([first.id]);
    expect((await t.client.fails(ALL, {}, a.token)).extensions?.code).toBe('FORBIDDEN');
  });
});
