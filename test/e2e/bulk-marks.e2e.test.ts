import { Client } from 'pg';
import { sendMessage } from '../fixtures/messages';
import { createUser, loginAdmin, type TestUser } from '../fixtures/users';
import { SHARED_DATABASE_URL } from '../support/shared-services';
import { SubscriptionClient } from '../support/subscription-client';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually } from '../support/wait';
import { laravelTimestampSql } from '../support/laravel-sql';
import { type ServerBesideDatabase, startServerBesideDatabase } from '../support/server-beside-database';

// Past the 16,383 rows at which one multi-row outbox INSERT ran out of PostgreSQL's 65,535 bind parameters.
const MANY = 20_000;

const SEEN = 'mutation M($other: ID!) { markConversationSeen(otherUserId: $other) }';
const ALL_SEEN = 'mutation { markAllNotificationsSeen }';
const ME = '{ me { id } }';
const COUNTS = '{ unreadCounts { unseenMessages unseenConversations unseenNotifications } }';

// The 20,000 rows are written in SQL (generate_series), which needs a PostgreSQL the test can reach beside the server.
let available = false;
let t: TestServer;
let db: Client;
let beside: ServerBesideDatabase | undefined;
beforeAll(async () => {
  beside = await startServerBesideDatabase();
  available = beside !== undefined;
  if (beside) ({ server: t, db } = beside);
}, 60_000);
afterAll(() => beside?.close());

interface OutboxRow {
  readonly recipient_ids: number[];
  readonly payload: string;
}

/**
 * The event log's rows of one event name for rows whose ids are in `ids`, keyed by the row id in their payload,
 * once every id has one: staged events are numbered into the log a moment after their commit.
 */
async function eventsById(name: string, idKey: string, ids: number[]): Promise<Map<number, OutboxRow[]>> {
  return eventually(async () => {
    const { rows } = await db.query<OutboxRow & { id: number }>(
      `SELECT (payload::json->'model'->>'${idKey}')::int AS id, recipient_ids, payload FROM event_outbox
        WHERE event_name = $1 AND (payload::json->'model'->>'${idKey}')::int = ANY($2::int[])
        ORDER BY event_id`,
      [name, ids],
    );
    const byId = new Map<number, OutboxRow[]>();
    for (const row of rows) byId.set(row.id, [...(byId.get(row.id) ?? []), row]);
    expect(byId.size).toBe(ids.length);
    return byId;
  }, 60_000);
}

const run = (name: string, test: () => Promise<void>) =>
  it(
    name,
    async () => {
      if (!available) return;
      await test();
    },
    180_000,
  );

run(
  `markConversationSeen of ${MANY} unseen messages: all marked, one MessageUpdated each with the legacy payload to sender and receiver, a bystander answered meanwhile`,
  async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const other = await createUser(t.client);
    const bystander = await createUser(t.client);
    await db.query(
      `INSERT INTO messages (detail, status, sender_id, receiver_id)
     SELECT 'bulk ' || g, 'unseen', $1, $2 FROM generate_series(1, ${MANY}) AS g`,
      [a.id, b.id],
    );
    // Not part of the conversation: a message from someone else, and one of A's to a third user.
    const fromOther = await sendMessage(t.client, other.token, b.id, 'stays unseen');
    const elsewhere = await sendMessage(t.client, a.token, other.id, 'not for B');
    const sender = new SubscriptionClient(t.url, a.token);
    await sender.subscribe('messageUpdated', 'subscription { messageUpdated { id status } }');
    try {
      const [marked, me] = await Promise.all([
        t.client.request<{ markConversationSeen: number }>(SEEN, { other: a.id }, b.token),
        t.client.request<{ me: { id: string } }>(ME, {}, bystander.token),
      ]);
      expect(marked.errors).toBeUndefined();
      expect(marked.data?.markConversationSeen).toBe(MANY);
      expect(me.data?.me.id).toBe(bystander.id);

      const { rows } = await db.query<Record<string, string | number>>(
        `SELECT message_id, detail, status, sender_id, receiver_id, ${laravelTimestampSql('created_at')}, ${laravelTimestampSql('updated_at')}
         FROM messages WHERE sender_id = $1 AND receiver_id = $2 ORDER BY message_id`,
        [a.id, b.id],
      );
      expect(rows).toHaveLength(MANY);
      expect(rows.filter((row) => row.status !== 'seen')).toEqual([]);
      const events = await eventsById(
        'MessageUpdated',
        'message_id',
        rows.map((row) => Number(row.message_id)),
      );
      const wrong = rows.filter((row) => {
        const expected = JSON.stringify({ model: row, connection: null, queue: null });
        const got = events.get(Number(row.message_id)) ?? [];
        return (
          got.length !== 1 ||
          got[0].payload !== expected ||
          [...got[0].recipient_ids].sort().join() !== [a.id, b.id].sort().join()
        );
      });
      expect(wrong).toEqual([]);

      // The others are untouched, and a second call changes nothing.
      const { rows: untouched } = await db.query<{ status: string }>(
        'SELECT status FROM messages WHERE message_id = ANY($1::int[]) ORDER BY message_id',
        [[fromOther.id, elsewhere.id]],
      );
      expect(untouched.map((row) => row.status)).toEqual(['unseen', 'unseen']);
      const again = await t.client.ok<{ markConversationSeen: number }>(SEEN, { other: a.id }, b.token);
      expect(again.markConversationSeen).toBe(0);
      const { unreadCounts } = await t.client.ok<{ unreadCounts: Record<string, number> }>(
        COUNTS,
        {},
        b.token,
      );
      expect(unreadCounts).toEqual({ unseenMessages: 1, unseenConversations: 1, unseenNotifications: 0 });

      // Delivered live too: the sender's subscription gets every one of them.
      await eventually(() => expect(sender.results('messageUpdated')).toHaveLength(MANY), 120_000);
      expect(new Set(sender.results<{ id: string }>('messageUpdated').map((m) => Number(m.id)))).toEqual(
        new Set(rows.map((row) => Number(row.message_id))),
      );
    } finally {
      await sender.close();
    }
  },
);

run(
  `markAllNotificationsSeen of ${MANY} unseen notifications: all marked, one NotificationUpdated each`,
  async () => {
    const admin = await loginAdmin(t.client);
    const b: TestUser = await createUser(t.client);
    const other = await createUser(t.client);
    await db.query(
      `INSERT INTO notifications (title, detail, status, receiver_id)
     SELECT 'T' || g, 'bulk ' || g, 'unseen', $1 FROM generate_series(1, ${MANY}) AS g`,
      [b.id],
    );
    await t.client.ok(
      'mutation C($input: CreateNotificationInput!) { createNotification(input: $input) { id } }',
      { input: { receiverId: other.id, title: 'T', detail: 'for someone else' } },
      admin.token,
    );
    const marked = await t.client.ok<{ markAllNotificationsSeen: number }>(ALL_SEEN, {}, b.token);
    expect(marked.markAllNotificationsSeen).toBe(MANY);
    const { rows } = await db.query<Record<string, string | number>>(
      `SELECT notification_id, title, detail, status, receiver_id, ${laravelTimestampSql('created_at')}, ${laravelTimestampSql('updated_at')}
       FROM notifications WHERE receiver_id = $1 ORDER BY notification_id`,
      [b.id],
    );
    expect(rows.filter((row) => row.status !== 'seen')).toEqual([]);
    const events = await eventsById(
      'NotificationUpdated',
      'notification_id',
      rows.map((row) => Number(row.notification_id)),
    );
    const wrong = rows.filter((row) => {
      const got = events.get(Number(row.notification_id)) ?? [];
      return (
        got.length !== 1 ||
        got[0].payload !== JSON.stringify({ model: row, connection: null, queue: null }) ||
        got[0].recipient_ids.join() !== b.id
      );
    });
    expect(wrong).toEqual([]);
    const { rows: others } = await db.query<{ status: string }>(
      'SELECT status FROM notifications WHERE receiver_id = $1',
      [other.id],
    );
    expect(others).toEqual([{ status: 'unseen' }]);
  },
);

run(
  "a mark whose event would pass Pusher's 10 KB refuses as save() does, naming the field, and changes nothing",
  async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    // Written behind the server's back: sendMessage itself refuses a detail this long.
    const { rows } = await db.query<{ message_id: number }>(
      `INSERT INTO messages (detail, status, sender_id, receiver_id)
       VALUES ('short', 'unseen', $1, $2), (repeat('x', 11000), 'unseen', $1, $2) RETURNING message_id`,
      [a.id, b.id],
    );
    const refused = await t.client.request(SEEN, { other: a.id }, b.token);
    expect(refused.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0].message).toMatch(/^detail: is too long/);
    const { rows: after } = await db.query<{ status: string }>(
      'SELECT status FROM messages WHERE message_id = ANY($1::int[])',
      [rows.map((row) => row.message_id)],
    );
    expect(after).toEqual([{ status: 'unseen' }, { status: 'unseen' }]);
  },
);

/** Holds a message's row lock from the test's own connection while `during` runs, then lets it go. */
async function whileLocked(messageId: string, during: () => Promise<void>): Promise<void> {
  await db.query('BEGIN');
  try {
    await db.query('SELECT 1 FROM messages WHERE message_id = $1 FOR UPDATE', [messageId]);
    await during();
  } finally {
    await db.query('ROLLBACK');
  }
}

const UPDATE_MESSAGE =
  'mutation U($id: ID!, $input: UpdateMessageInput!) { updateMessage(id: $id, input: $input) { status } }';

run(
  'a request waiting on a lock gives up after DATABASE_LOCK_TIMEOUT, or DATABASE_STATEMENT_TIMEOUT, and frees its connection',
  async () => {
    const a = await createUser(t.client);
    const b = await createUser(t.client);
    const message = await sendMessage(t.client, a.token, b.id, 'locked');
    const hide = () =>
      t.client.request(UPDATE_MESSAGE, { id: message.id, input: { status: 'HIDDEN' } }, b.token);
    // The answer arrives while the lock is still held: without a timeout the request would wait for it.
    await whileLocked(message.id, async () => {
      const refused = await hide();
      expect(refused.errors?.[0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      const me = await t.client.request<{ me: { id: string } }>(ME, {}, a.token);
      expect(me.data?.me.id).toBe(a.id);
    });
    const second = await startTestServer({
      env: {
        DATABASE_URL: SHARED_DATABASE_URL,
        DATABASE_LOCK_TIMEOUT: '0',
        DATABASE_STATEMENT_TIMEOUT: '1000',
      },
      keepDatabase: true,
    });
    try {
      await whileLocked(message.id, async () => {
        const refused = await second.client.request(
          UPDATE_MESSAGE,
          { id: message.id, input: { status: 'HIDDEN' } },
          b.token,
        );
        expect(refused.errors?.[0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      });
    } finally {
      await second.close();
    }
    const { rows } = await db.query<{ status: string }>('SELECT status FROM messages WHERE message_id = $1', [
      message.id,
    ]);
    expect(rows).toEqual([{ status: 'unseen' }]);
    // Once the lock is free the same change goes through.
    expect((await hide()).data).toEqual({ updateMessage: { status: 'HIDDEN' } });
  },
);
