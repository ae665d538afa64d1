import { sendMessage } from '../fixtures/messages';
import { createUser, type TestUser } from '../fixtures/users';
import { QueryCounter } from '../support/query-counter';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually } from '../support/wait';

const CONVERSATION = `query C($other: ID!, $first: Int) {
  conversation(otherUserId: $other, first: $first) { id sender { id name } receiver { id name } }
}`;
const CONVERSATIONS = `query L($first: Int) {
  conversations(first: $first) { otherUser { id name } lastMessage { id sender { id } receiver { id } } unseenCount }
}`;

const counter = new QueryCounter();
let t: TestServer;
let a: TestUser;
let b: TestUser;
let partners: TestUser[];

beforeAll(async () => {
  // Every request authenticates from the database here, so counts do not depend on timing; the cache has its test.
  t = await startTestServer({ queryLogger: counter, env: { SESSION_CACHE_TTL_MS: '0' } });
  a = await createUser(t.client);
  b = await createUser(t.client);
  for (let i = 0; i < 20; i++)
    await sendMessage(t.client, i % 2 ? a.token : b.token, i % 2 ? b.id : a.id, `m${i}`);
  partners = [];
  for (let i = 0; i < 20; i++) {
    const partner = await createUser(t.client);
    partners.push(partner);
    await sendMessage(t.client, partner.token, a.id, `from partner ${i}`);
  }
});
afterAll(async () => {
  await t.close();
});

async function queriesFor(query: string, variables: Record<string, unknown>): Promise<number> {
  return counter.during(async () => {
    const result = await t.client.request(query, variables, a.token);
    expect(result.errors).toBeUndefined();
  });
}

it('loads a page of 20 messages with both users in a fixed number of queries', async () => {
  const two = await queriesFor(CONVERSATION, { other: b.id, first: 2 });
  const twenty = await queriesFor(CONVERSATION, { other: b.id, first: 20 });
  // authentication, then the page with its senders and receivers in the same statement
  expect(twenty).toBe(two);
  expect(twenty).toBe(2);
});

it('answers the latest chats in a fixed number of queries, whatever the page size', async () => {
  const two = await queriesFor(CONVERSATIONS, { first: 2 });
  const twenty = await queriesFor(CONVERSATIONS, { first: 20 });
  expect(twenty).toBe(two);
  // authentication, partners, last messages, unseen counts, one batched user load
  expect(twenty).toBeLessThanOrEqual(5);
  expect(partners).toHaveLength(20);
});

/** The statements a callback caused, each shortened to what it does. */
async function statementsOf(callback: () => Promise<unknown>): Promise<string[]> {
  const before = counter.queries.length;
  await callback();
  return counter.queries.slice(before).map((query) => {
    const sql = query.replace(/\s+/g, ' ').trim();
    return (
      /^(START TRANSACTION|COMMIT|(WITH|SELECT|INSERT INTO|UPDATE) ("?\w+"?|\* FROM \w+))/.exec(sql)?.[0] ??
      sql
    ).replace(/"/g, '');
  });
}

it('sends a message in two statements, one round trip each, the same whatever the receiver has unseen', async () => {
  const fresh = await createUser(t.client);
  // A has 30 unseen messages from the setup; the fresh user none.
  const toBusy = await statementsOf(() => sendMessage(t.client, b.token, a.id, 'to a busy inbox'));
  const toFresh = await statementsOf(() => sendMessage(t.client, b.token, fresh.id, 'to a fresh one'));
  // The session, then the message with its staged event and counts in one statement that commits itself.
  expect(toBusy).toEqual(['SELECT s', 'SELECT * FROM send_message']);
  expect(toFresh).toEqual(toBusy);
});

it('answers a session seen within SESSION_CACHE_TTL_MS from memory, and reads it again once it changed', async () => {
  const cacheCounter = new QueryCounter();
  const cached = await startTestServer({ queryLogger: cacheCounter, keepDatabase: true });
  try {
    const user = await createUser(cached.client);
    const ME = '{ me { id name } }';
    const statementsOfMe = async () => {
      const before = cacheCounter.count;
      const { me } = await cached.client.ok<{ me: { name: string } }>(ME, {}, user.token);
      return { statements: cacheCounter.count - before, name: me.name };
    };
    // Two requests in a row: the second within the cache's second reads nothing (retried, should one be slow).
    await eventually(async () => {
      await statementsOfMe();
      expect(await statementsOfMe()).toEqual({ statements: 0, name: user.name });
    });
    // A change of the user is forgotten at once: the very next request reads the row and sees it.
    await cached.client.ok('mutation { updateProfile(input: { name: "Renamed" }) { id } }', {}, user.token);
    expect(await statementsOfMe()).toEqual({ statements: 1, name: 'Renamed' });
  } finally {
    await cached.close();
  }
});
