import { Client } from 'pg';
import { sendMessage } from '../fixtures/messages';
import { createUser, loginAdmin } from '../fixtures/users';
import type { GqlResult } from '../support/graphql-client';
import { LegacyHttpClient } from '../support/legacy-http';
import { SHARED_DATABASE_URL } from '../support/shared-services';
import { SubscriptionClient } from '../support/subscription-client';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually } from '../support/wait';
import { type ServerBesideDatabase, startServerBesideDatabase } from '../support/server-beside-database';

// A statement or lock timeout is the server being busy, not the request being wrong: clients are told so, with
// when to retry, and never the SQL that timed out.
const BUSY = 'The server is busy; try again shortly.';

const SEEN = 'mutation M($other: ID!) { markConversationSeen(otherUserId: $other) }';
const ALL_SEEN = 'mutation { markAllNotificationsSeen }';

// The lock is held from the test's own connection, beside the server's pool, on a PostgreSQL both reach.
let available = false;
let t: TestServer;
let db: Client;
let beside: ServerBesideDatabase | undefined;
beforeAll(async () => {
  // No session cache: every socket's session is read, so a lock on the sessions can stop it.
  beside = await startServerBesideDatabase({ DATABASE_LOCK_TIMEOUT: '100', SESSION_CACHE_TTL_MS: '0' });
  available = beside !== undefined;
  if (beside) ({ server: t, db } = beside);
}, 60_000);
afterAll(() => beside?.close());

const run = (name: string, test: () => Promise<void>) =>
  it(name, async () => {
    if (!available) return;
    await test();
  });

/** Holds the row lock of `table`'s row `id` from the test's connection while `during` runs, then lets it go. */
async function whileLocked(
  table: string,
  key: string,
  id: string,
  during: () => Promise<void>,
): Promise<void> {
  await db.query('BEGIN');
  try {
    await db.query(`SELECT 1 FROM ${table} WHERE ${key} = $1 FOR UPDATE`, [id]);
    await during();
  } finally {
    await db.query('ROLLBACK');
  }
}

/** The busy answer, whole: no other extension (no stack trace, no SQL state), no word of the statement. */
function expectBusy(answer: GqlResult<unknown>, field: string): void {
  // Both marks are non-null fields, so the error nulls the whole data.
  expect(answer.data ?? null).toBeNull();
  expect(answer.errors).toHaveLength(1);
  const [error] = answer.errors ?? [];
  expect(error.path).toEqual([field]);
  expect(error.message).toBe(BUSY);
  expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', retryAfter: 1 });
  expect(JSON.stringify(answer)).not.toMatch(/lock|timeout|cancel|SELECT|UPDATE|messages|57014|55P03/i);
}

const statuses = async (table: string, key: string, ids: string[]) =>
  (
    await db.query<{ status: string }>(
      `SELECT status FROM ${table} WHERE ${key} = ANY($1::int[]) ORDER BY ${key}`,
      [ids],
    )
  ).rows.map((row) => row.status);

/** Events written of these rows marked seen, numbered or still pending. */
const seenEvents = async (idKey: string, ids: string[]) =>
  (
    await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT payload FROM event_outbox UNION ALL SELECT payload FROM event_outbox_pending) e
        WHERE e.payload::json->'model'->>'${idKey}' = ANY($1::text[]) AND e.payload LIKE '%"status":"seen"%'`,
      [ids],
    )
  ).rows[0].n;

run(
  'a mark behind a held row lock (lock_timeout, 55P03) answers busy with retryAfter, changes nothing, and goes through once the lock is free',
  async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const first = await sendMessage(t.client, a.token, b.id, 'one');
    const second = await sendMessage(t.client, a.token, b.id, 'two');
    const ids = [first.id, second.id];

    await whileLocked('messages', 'message_id', second.id, async () => {
      const answer = await t.client.request(SEEN, { other: a.id }, b.token);
      expectBusy(answer, 'markConversationSeen');
    });
    expect(await statuses('messages', 'message_id', ids)).toEqual(['unseen', 'unseen']);
    expect(await seenEvents('message_id', ids)).toBe(0);
    const { unreadCounts } = await t.client.ok<{ unreadCounts: { unseenMessages: number } }>(
      '{ unreadCounts { unseenMessages } }',
      {},
      b.token,
    );
    expect(unreadCounts.unseenMessages).toBe(2);

    // Retrying, as the answer says, succeeds.
    const retried = await t.client.ok<{ markConversationSeen: number }>(SEEN, { other: a.id }, b.token);
    expect(retried.markConversationSeen).toBe(2);
    expect(await statuses('messages', 'message_id', ids)).toEqual(['seen', 'seen']);
  },
);

run('markAllNotificationsSeen behind a held notification lock answers busy and changes nothing', async () => {
  const admin = await loginAdmin(t.client);
  const b = await createUser(t.client);
  const { createNotification } = await t.client.ok<{ createNotification: { id: string }[] }>(
    'mutation C($input: CreateNotificationInput!) { createNotification(input: $input) { id } }',
    { input: { receiverId: b.id, title: 'T', detail: 'locked' } },
    admin.token,
  );
  const ids = createNotification.map((n) => n.id);
  await whileLocked('notifications', 'notification_id', ids[0], async () => {
    expectBusy(await t.client.request(ALL_SEEN, {}, b.token), 'markAllNotificationsSeen');
  });
  expect(await statuses('notifications', 'notification_id', ids)).toEqual(['unseen']);
  expect(await seenEvents('notification_id', ids)).toBe(0);
});

run(
  'a legacy route behind a held lock answers 503 with Retry-After and {message}, and changes nothing',
  async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const message = await sendMessage(t.client, a.token, b.id, 'legacy');
    const legacy = new LegacyHttpClient(t.url);
    await whileLocked('messages', 'message_id', message.id, async () => {
      const answer = await legacy.post('/chat/update', { message_id: message.id, status: 'seen' }, b.token);
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('1');
      expect(answer.body).toEqual({ message: BUSY });
    });
    expect(await statuses('messages', 'message_id', [message.id])).toEqual(['unseen']);
    const after = await legacy.post('/chat/update', { message_id: message.id, status: 'seen' }, b.token);
    expect(after.status).toBe(200);
    expect(await statuses('messages', 'message_id', [message.id])).toEqual(['seen']);
  },
);

run(
  'with no lock timeout, DATABASE_STATEMENT_TIMEOUT (57014) gives the same busy answer, on GraphQL and the legacy routes',
  async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const message = await sendMessage(t.client, a.token, b.id, 'slow');
    const second = await startTestServer({
      env: {
        DATABASE_URL: SHARED_DATABASE_URL,
        DATABASE_LOCK_TIMEOUT: '0',
        DATABASE_STATEMENT_TIMEOUT: '300',
      },
      keepDatabase: true,
    });
    try {
      await whileLocked('messages', 'message_id', message.id, async () => {
        expectBusy(await second.client.request(SEEN, { other: a.id }, b.token), 'markConversationSeen');
        const legacy = await new LegacyHttpClient(second.url).post(
          '/chat/update',
          { message_id: message.id, status: 'hidden' },
          b.token,
        );
        expect([legacy.status, legacy.headers.get('retry-after'), legacy.body]).toEqual([
          503,
          '1',
          { message: BUSY },
        ]);
      });
    } finally {
      await second.close();
    }
    expect(await statuses('messages', 'message_id', [message.id])).toEqual(['unseen']);
  },
);

/** Holds every session row from the test's connection while `during` runs, then lets them go. */
async function whileSessionsLocked(during: () => Promise<void>): Promise<void> {
  await db.query('BEGIN');
  try {
    await db.query('LOCK TABLE auth_sessions IN ACCESS EXCLUSIVE MODE');
    await during();
  } finally {
    await db.query('ROLLBACK');
  }
}

run(
  'a graphql-ws socket whose session cannot be read is asked to retry (1013), never told it ended (4403)',
  async () => {
    const user = await createUser(t.client);
    // At connection_init: the session is read to authenticate the socket.
    await whileSessionsLocked(async () => {
      const connecting = new SubscriptionClient(t.url, user.token);
      try {
        await eventually(() => expect(connecting.closes).toEqual([1013]), 5000);
      } finally {
        await connecting.close();
      }
    });
    // At a subscribe: the session is checked again.
    const open = new SubscriptionClient(t.url, user.token);
    try {
      await open.subscribe('messageCreated', 'subscription { messageCreated { id } }');
      await whileSessionsLocked(async () => {
        void open.subscribe('unreadCountsChanged', 'subscription { unreadCountsChanged { unseenMessages } }');
        await eventually(() => expect(open.closes).toEqual([1013]), 5000);
      });
    } finally {
      await open.close();
    }
    // The session never ended: once the database answers, the same token connects and subscribes.
    const again = new SubscriptionClient(t.url, user.token);
    try {
      await again.subscribe('messageCreated', 'subscription { messageCreated { id } }');
      const sent = await sendMessage(t.client, (await createUser(t.client)).token, user.id, 'after the lock');
      await eventually(() => expect(again.results('messageCreated')).toEqual([{ id: sent.id }]));
      expect(again.closes).toEqual([]);
    } finally {
      await again.close();
    }
  },
);
