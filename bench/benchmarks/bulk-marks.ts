import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import type { BenchContext } from '../context';
import { type BenchUser, seedUsers } from '../dataset';
import { sleep } from '../processes';
import { type BenchResult, fixed, type ResultRow } from '../result';
import { ratio } from '../stats';

/** Issue 13: a mark of this many unseen rows answers within `TARGET_MS`. */
const TARGET_MS = 1_000;

// Numbered far past every other benchmark's users (the burst adds its receivers after the data set's), so the
// emails and phone numbers never meet.
const FIRST_USER = 900_000;

interface Marks {
  readonly messagesMs: number[];
  readonly notificationsMs: number[];
  /** A bystander's `me` answered while the project's mark of messages ran. */
  readonly bystanderMeMs: number[];
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

async function graphql(url: string, user: BenchUser, query: string, variables = {}): Promise<unknown> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (!res.ok || body.errors !== undefined) throw new Error(`${query}: ${JSON.stringify(body)}`);
  return body.data;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

/** `count` unseen messages from `from` to `to` and as many unseen notifications for `to`, behind the server's back. */
async function seedUnseen(db: Client, from: number, to: number, count: number): Promise<void> {
  await db.query(
    `INSERT INTO messages (detail, status, sender_id, receiver_id)
     SELECT 'Bulk message ' || g, 'unseen', $1, $2 FROM generate_series(1, $3::int) AS g`,
    [from, to, count],
  );
  await db.query(
    `INSERT INTO notifications (title, detail, status, receiver_id)
     SELECT 'Bulk ' || g, 'Bulk notification ' || g, 'unseen', $1 FROM generate_series(1, $2::int) AS g`,
    [to, count],
  );
  await db.query('ANALYZE messages, notifications');
}

/** Until the server has numbered every event it staged, so its sequencing does not weigh on the next figure. */
async function logSettled(db: Client): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM event_outbox_pending');
    if (rows[0].n === 0) return;
    await sleep(100);
  }
  throw new Error('the staged events of a bulk mark were not numbered within 120 s');
}

/**
 * `markConversationSeen` and `markAllNotificationsSeen` of `sizes.bulkMarkRows` unseen rows, answer time, beside the
 * bare statements (`UPDATE … WHERE receiver_id AND sender_id AND status = 'unseen'`, no events) on the same
 * database in the same run, alternating, with the median of `sizes.bulkMarkRuns` each.
 */
export async function bulkMarksBenchmark(ctx: BenchContext): Promise<BenchResult> {
  const rows = ctx.sizes.bulkMarkRows;
  const [sender, receiver, bareSender, bareReceiver, bystander] = await seedUsers(
    ctx.databaseUrl,
    FIRST_USER,
    5,
  );
  const db = new Client({ connectionString: ctx.databaseUrl });
  await db.connect();
  const project: Marks = { messagesMs: [], notificationsMs: [], bystanderMeMs: [] };
  const bare: Marks = { messagesMs: [], notificationsMs: [], bystanderMeMs: [] };
  try {
    for (let run = 0; run < ctx.sizes.bulkMarkRuns; run += 1) {
      await seedUnseen(db, sender.id, receiver.id, rows);
      const [marked, me] = await Promise.all([
        timed(() =>
          graphql(
            ctx.server.url,
            receiver,
            'mutation ($other: ID!) { markConversationSeen(otherUserId: $other) }',
            { other: String(sender.id) },
          ),
        ),
        // Sent a moment later, so it arrives while the mark holds its connection and locks.
        sleep(20).then(() => timed(() => graphql(ctx.server.url, bystander, '{ me { id } }'))),
      ]);
      if ((marked.value as { markConversationSeen: number }).markConversationSeen !== rows)
        throw new Error(`markConversationSeen marked ${JSON.stringify(marked.value)}, not ${rows}`);
      project.messagesMs.push(marked.ms);
      project.bystanderMeMs.push(me.ms);
      await logSettled(db);
      const all = await timed(() =>
        graphql(ctx.server.url, receiver, 'mutation { markAllNotificationsSeen }'),
      );
      if ((all.value as { markAllNotificationsSeen: number }).markAllNotificationsSeen !== rows)
        throw new Error(`markAllNotificationsSeen marked ${JSON.stringify(all.value)}, not ${rows}`);
      project.notificationsMs.push(all.ms);
      await logSettled(db);

      await seedUnseen(db, bareSender.id, bareReceiver.id, rows);
      const bareMessages = await timed(() =>
        db.query(
          `UPDATE messages SET status = 'seen', updated_at = CURRENT_TIMESTAMP
            WHERE receiver_id = $1 AND sender_id = $2 AND status = 'unseen'`,
          [bareReceiver.id, bareSender.id],
        ),
      );
      bare.messagesMs.push(bareMessages.ms);
      const bareNotifications = await timed(() =>
        db.query(
          `UPDATE notifications SET status = 'seen', updated_at = CURRENT_TIMESTAMP
            WHERE receiver_id = $1 AND status = 'unseen'`,
          [bareReceiver.id],
        ),
      );
      bare.notificationsMs.push(bareNotifications.ms);
    }
  } finally {
    await db.end();
  }
  const row = (what: string, key: 'messagesMs' | 'notificationsMs'): ResultRow => {
    const [p, b] = [median(project[key]), median(bare[key])];
    return {
      what: `${what} of ${rows} unseen: ms (median of ${project[key].length})`,
      project: fixed(p),
      baseline: fixed(b),
      ratio: ratio(p, b),
      target: `< ${TARGET_MS} ms`,
      met: p < TARGET_MS,
    };
  };
  return {
    name: 'bulk-marks',
    rows: [
      row('markConversationSeen', 'messagesMs'),
      row('markAllNotificationsSeen', 'notificationsMs'),
      {
        what: "bulk marks: a bystander's me meanwhile, worst ms",
        project: fixed(Math.max(...project.bystanderMeMs)),
        baseline: '',
        ratio: undefined,
        target: '',
        met: undefined,
      },
    ],
    figures: { rows, project, baseline: bare },
  };
}
