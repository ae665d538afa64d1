import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../../src/config/config';
import { type Database, openDatabase, runMigrations } from '../../src/database/database';
import { EventLog } from '../../src/delivery/event-log';
import type { EventSink } from '../../src/delivery/event-sink';
import { LogReader } from '../../src/delivery/log-reader';
import {
  FeedPartitionsMismatchError,
  PusherFeed,
  type PusherFeedOptions,
  type PushOutcome,
  type PusherTarget,
  type RelayObserver,
  type RelaySink,
} from '../../src/delivery/pusher-feed';
import { LocalWakeUp } from '../../src/delivery/wake-up';
import type { QueryRunner } from 'typeorm';
import { Message, OutboxEvent, PendingEvent } from '../../src/entities';
import { RealtimeEventName, type RealtimeEvent } from '../../src/events/realtime-event';
import { createLogger } from '../../src/logger';
import { stageEvent } from '../../src/subscribers/outbox-staging';
import { resetDatabase } from '../support/test-server';
import { eventually, SETTLE_MS, sleep } from '../support/wait';

// The log, its readers and the Pusher feed against a real database, with recording stand-ins for the sinks.
class RecordingTarget implements PusherTarget {
  readonly maxPushEntries = 10;
  readonly pushed: string[][] = [];
  /** Channel deliveries, as `payload@recipient`. */
  readonly entries: string[] = [];
  outcome: (events: readonly RealtimeEvent[]) => PushOutcome | Promise<PushOutcome> = () => ({
    delivered: true,
  });

  async push(events: readonly RealtimeEvent[]): Promise<PushOutcome> {
    const outcome = await this.outcome(events);
    if (outcome.delivered) {
      this.pushed.push(events.map((e) => e.payload));
      for (const event of events)
        for (const id of event.recipientIds) this.entries.push(`${event.payload}@${id}`);
    }
    return outcome;
  }
}

let dataDir: string;
let database: Database;
const logger = createLogger('silent');
const started: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-delivery-'));
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: process.env.DATABASE_URL });
  if (config.databaseUrl) await resetDatabase(config.databaseUrl);
  database = await openDatabase(config);
  await runMigrations(database);
});
afterAll(async () => {
  await database.close();
  await rm(dataDir, { recursive: true, force: true });
});
beforeEach(async () => {
  await database.dataSource.query(
    'TRUNCATE event_recipients, event_outbox, event_outbox_pending, event_retention_marks, event_feed_partitions, event_feed_instances',
  );
});
afterEach(async () => {
  for (const running of started.splice(0)) await running.stop();
});

/** Events straight into the log, as sequenced ones. */
async function record(payloads: string[], recipients: number[] = [1]): Promise<void> {
  const repository = database.dataSource.getRepository(OutboxEvent);
  for (const payload of payloads) {
    await repository.insert({ name: RealtimeEventName.MESSAGE_CREATED, recipientIds: recipients, payload });
  }
}

async function rows(): Promise<OutboxEvent[]> {
  return database.dataSource.getRepository(OutboxEvent).find({ order: { id: 'ASC' } });
}

/** A feed on a fresh table starts at the newest event: tests start it first, then record. */
async function feed(target: RecordingTarget, options: Partial<PusherFeedOptions> = {}): Promise<PusherFeed> {
  const running = new PusherFeed(database.dataSource, target, logger, {
    partitions: 1,
    leaseMs: 1000,
    pollMs: 50,
    minBackoffMs: 20,
    maxBackoffMs: 100,
    ...options,
  });
  await running.start();
  started.push(running);
  return running;
}

async function fedThrough(): Promise<string> {
  const [{ position }] = (await database.dataSource.query(
    'SELECT coalesce(min(position), 0)::text AS position FROM event_feed_partitions',
  )) as { position: string }[];
  return position;
}

async function drained(): Promise<void> {
  const [last] = (await database.dataSource.query('SELECT max(event_id)::text AS id FROM event_outbox')) as {
    id: string;
  }[];
  await eventually(async () => expect(BigInt(await fedThrough())).toBeGreaterThanOrEqual(BigInt(last.id)));
}

class CountingObserver implements RelayObserver {
  readonly counts: Record<string, number> = {};
  private add(kind: string, sink: RelaySink, count: number): void {
    const key = `${kind}:${sink}`;
    this.counts[key] = (this.counts[key] ?? 0) + count;
  }
  delivered(sink: RelaySink, count: number): void {
    this.add('delivered', sink, count);
  }
  retried(sink: RelaySink, count: number): void {
    this.add('retried', sink, count);
  }
  dead(sink: RelaySink, count: number): void {
    this.add('dead', sink, count);
  }
  lag(_sink: RelaySink, ms: number): void {
    expect(ms).toBeGreaterThanOrEqual(0);
  }
}

const STAGE = `INSERT INTO event_outbox_pending (event_name, recipient_ids, payload) VALUES ('MessageCreated', '{1}', $1)`;
const stage = async (client: Client | Database['dataSource'], payload: string): Promise<void> => {
  if (client instanceof Client) await client.query(STAGE, [payload]);
  else await client.query(STAGE, [payload]);
};

describe('the event log', () => {
  it('numbers events in commit order: a transaction that staged first and committed last comes last', async () => {
    const log = new EventLog(database.dataSource);
    // A connection of its own: the embedded database serves one at a time, so only with DATABASE_URL.
    const url = process.env.DATABASE_URL;
    if (url) {
      const slow = new Client({ connectionString: url });
      await slow.connect();
      try {
        await slow.query('BEGIN');
        await stage(slow, 'staged first, committed last');
        await stage(database.dataSource, 'staged last, committed first');
        expect((await log.sequence()).added).toBe(1);
        await slow.query('COMMIT');
      } finally {
        await slow.end();
      }
    } else {
      await stage(database.dataSource, 'staged last, committed first');
      await log.sequence();
      await stage(database.dataSource, 'staged first, committed last');
    }
    const { head, added } = await log.sequence();
    expect(added).toBe(1);
    expect((await rows()).map((row) => row.payload)).toEqual([
      'staged last, committed first',
      'staged first, committed last',
    ]);
    expect(head).toBe((await rows())[1].id);
    expect(await database.dataSource.getRepository(PendingEvent).count()).toBe(0);
    // Nothing left: a sequencing that finds nothing adds nothing and answers the same head.
    expect(await log.sequence()).toEqual({ head, added: 0 });
  });

  it("a writer does not wait for another writer to the same user: no lock orders events, the log's sequencing does", async () => {
    // Another transaction to user 2, in the middle of its commit, would hold what the old ordering locked.
    const url = process.env.DATABASE_URL;
    if (!url) return; // the embedded database serves one connection: there is no other writer to wait for
    const other = new Client({ connectionString: url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock(721400003, 2)');
      const metadata = database.dataSource.getMetadata(Message);
      const row = {
        id: 1,
        detail: 'edited',
        status: 'unseen',
        senderId: 1,
        receiverId: 2,
        createdAt: new Date(),
        updatedAt: new Date(),
      };
      const write = database.dataSource.transaction(async (manager) => {
        await stageEvent(
          manager,
          manager.queryRunner as QueryRunner,
          RealtimeEventName.MESSAGE_UPDATED,
          metadata,
          row,
          [1, 2],
        );
      });
      const outcome = await Promise.race([write.then(() => 'committed'), sleep(5000).then(() => 'waiting')]);
      expect(outcome).toBe('committed');
      await other.query('COMMIT');
      await write;
    } finally {
      await other.end();
    }
    await new EventLog(database.dataSource).sequence();
    expect((await rows()).map((r) => [r.name, r.recipientIds])).toEqual([['MessageUpdated', [1, 2]]]);
  });

  it('a reader hands every event once and in id order to each sink, from its own position, polling without notices', async () => {
    await record(['before the start']);
    const seen: string[][] = [[], []];
    const sinks: EventSink[] = seen.map((list, i) => ({
      name: `sink ${i}`,
      deliver: (events) => {
        if (i === 0 && events.some((e) => e.payload === 'explodes')) throw new Error('sink down');
        for (const event of events) list.push(event.payload);
      },
    }));
    const reader = new LogReader(new EventLog(database.dataSource), sinks, new LocalWakeUp(), logger, {
      pollMs: 50,
    });
    await reader.start();
    started.push(reader);
    // Staged and committed with nobody telling the reader to sequence: its poll does.
    for (const payload of ['one', 'explodes', 'two']) {
      await stage(database.dataSource, payload);
      reader.kick(false);
    }
    await eventually(() => expect(seen[1]).toEqual(['one', 'explodes', 'two']));
    await sleep(SETTLE_MS / 2);
    expect(seen[1]).toEqual(['one', 'explodes', 'two']);
    // The sink that threw loses what it threw on, and nothing else reaches it twice.
    expect(new Set(seen[0]).size).toBe(seen[0].length);
    expect(seen[0]).not.toContain('before the start');
  });

  it('prunes events past retention, with an outside Pusher service only once every partition is past them', async () => {
    const log = new EventLog(database.dataSource);
    await record(['old', 'old-unfed', 'recent']);
    const [old, unfed] = await rows();
    await database.dataSource.query(
      `UPDATE event_outbox SET created_at = now() - interval '73 hours' WHERE payload LIKE 'old%'`,
    );
    await database.dataSource.query(
      'INSERT INTO event_feed_partitions (partition_no, position) VALUES (0, $1), (1, $2)',
      [unfed.id, old.id],
    );
    expect(await log.prune(72, true)).toBe(1);
    expect((await rows()).map((row) => row.payload)).toEqual(['old-unfed', 'recent']);
    expect(await log.prune(72, false)).toBe(1);
    expect((await rows()).map((row) => row.payload)).toEqual(['recent']);
  });

  it('records per recipient the newest event pruned, never moving a mark back', async () => {
    const log = new EventLog(database.dataSource);
    await record(['a-old'], [1, 2]);
    await record(['b-old'], [2]);
    await record(['kept'], [1, 3]);
    // Unread counts are not replayed: pruning one is no loss.
    await database.dataSource
      .getRepository(OutboxEvent)
      .insert({ name: RealtimeEventName.UNREAD_COUNTS_UPDATED, recipientIds: [4], payload: 'counts-old' });
    const ids = (await rows()).map((row) => row.id);
    await database.dataSource.query(
      `UPDATE event_outbox SET created_at = now() - interval '80 hours' WHERE payload LIKE '%-old'`,
    );
    expect(await log.prune(72, false)).toBe(3);
    const marks = async () =>
      (await database.dataSource.query(
        'SELECT user_id, pruned_through FROM event_retention_marks ORDER BY user_id',
      )) as { user_id: number; pruned_through: string }[];
    expect(await marks()).toEqual([
      { user_id: 1, pruned_through: ids[0] },
      { user_id: 2, pruned_through: ids[1] },
    ]);
    await database.dataSource.query(
      'UPDATE event_retention_marks SET pruned_through = 999999 WHERE user_id = 1',
    );
    await database.dataSource.query(
      `UPDATE event_outbox SET created_at = now() - interval '80 hours' WHERE payload = 'kept'`,
    );
    expect(await log.prune(72, false)).toBe(1);
    expect(await marks()).toEqual([
      { user_id: 1, pruned_through: '999999' },
      { user_id: 2, pruned_through: ids[1] },
      { user_id: 3, pruned_through: ids[2] },
    ]);
  });
});

describe('the Pusher service feed', () => {
  it('pushes in order, packing at most maxPushEntries channel deliveries per request', async () => {
    const target = new RecordingTarget();
    // No poll meanwhile: all four are recorded before the feed looks.
    const running = await feed(target, { pollMs: 60_000 });
    await sleep(100);
    await record(['e1', 'e2', 'e3'], [1, 2, 3, 4]);
    await record(['e4']);
    running.kick();
    await drained();
    // 4 + 4 entries fit in one request of 10; the third event's 4 more would not.
    expect(target.pushed).toEqual([
      ['e1', 'e2'],
      ['e3', 'e4'],
    ]);
  });

  it("splits the work by recipient: each partition sends its recipients' channels, each user's events in order", async () => {
    const target = new RecordingTarget();
    const running = await feed(target, { partitions: 3 });
    await record(['n1'], [1, 2, 3, 4]);
    await record(['m1'], [2]);
    await record(['m2'], [2]);
    running.kick();
    await drained();
    expect([...target.entries].sort()).toEqual(['m1@2', 'm2@2', 'n1@1', 'n1@2', 'n1@3', 'n1@4']);
    expect(target.entries.filter((entry) => entry.endsWith('@2'))).toEqual(['n1@2', 'm1@2', 'm2@2']);
  });

  it('sets aside only the events Pusher refuses (4xx), and delivers the rest', async () => {
    const target = new RecordingTarget();
    target.outcome = (events) =>
      events.some((e) => e.payload === 'too-big')
        ? { delivered: false, retry: false, error: '413: too big' }
        : { delivered: true };
    const running = await feed(target);
    await record(['ok1', 'too-big', 'ok2']);
    running.kick();
    await drained();
    expect(target.pushed.flat()).toEqual(['ok1', 'ok2']);
    expect((await rows()).map((row) => [row.payload, row.deadAt !== null])).toEqual([
      ['ok1', false],
      ['too-big', true],
      ['ok2', false],
    ]);
  });

  it('sets an event that keeps failing aside as dead after maxAttempts, and delivers the later ones', async () => {
    const target = new RecordingTarget();
    target.outcome = (events) =>
      events.some((e) => e.payload === 'poison')
        ? { delivered: false, retry: true, error: '500: boom' }
        : { delivered: true };
    const observer = new CountingObserver();
    const running = await feed(target, { maxAttempts: 3, observer });
    await record(['before', 'poison', 'after1', 'after2']);
    running.kick();
    await drained();
    expect(target.pushed.flat()).toEqual(['before', 'after1', 'after2']);
    const poison = (await rows()).find((row) => row.payload === 'poison');
    expect(poison?.deadAt).not.toBeNull();
    expect(poison?.attempts).toBe(3);
    expect(observer.counts['dead:pusher']).toBe(1);
    expect(observer.counts['delivered:pusher']).toBe(3);
  });

  it('kills nothing during an outage longer than maxAttempts, and delivers everything after it', async () => {
    const target = new RecordingTarget();
    let down = true;
    target.outcome = () => (down ? { delivered: false, retry: true, error: '503' } : { delivered: true });
    const running = await feed(target, { maxAttempts: 2 });
    await record(['o1', 'o2', 'o3']);
    running.kick();
    await eventually(async () => expect((await rows())[0].attempts).toBeGreaterThanOrEqual(4));
    expect((await rows()).every((row) => row.deadAt === null)).toBe(true);
    down = false;
    await drained();
    expect(target.pushed.flat()).toEqual(['o1', 'o2', 'o3']);
    expect((await rows()).every((row) => row.deadAt === null)).toBe(true);
  });

  it('two feeds split the partitions evenly, and the one left takes them all back when the other stops', async () => {
    const first = await feed(new RecordingTarget(), { partitions: 4 });
    const second = await feed(new RecordingTarget(), { partitions: 4 });
    const held = async () =>
      (
        (await database.dataSource.query(
          `SELECT owner, count(*)::int AS n FROM event_feed_partitions
            WHERE owner IS NOT NULL AND lease_until > now() GROUP BY owner ORDER BY owner`,
        )) as { owner: string; n: number }[]
      ).map((row) => [row.owner, row.n]);
    const both = [first.instanceId, second.instanceId].sort();
    await eventually(() => expect(held()).resolves.toEqual(both.map((id) => [id, 2])));
    await second.stop();
    await eventually(() => expect(held()).resolves.toEqual([[first.instanceId, 4]]));
  });

  it('refuses to start beside a live feed with another partition count', async () => {
    await feed(new RecordingTarget(), { partitions: 4 });
    await expect(feed(new RecordingTarget(), { partitions: 6 })).rejects.toThrow(FeedPartitionsMismatchError);
    const [{ n }] = (await database.dataSource.query(
      'SELECT count(*)::int AS n FROM event_feed_partitions',
    )) as {
      n: number;
    }[];
    expect(n).toBe(4);
  });

  it('a new partition count, once no feed runs with the old one, starts where no recipient is skipped', async () => {
    const old = await feed(new RecordingTarget(), { partitions: 4 });
    await old.stop();
    await database.dataSource.query('UPDATE event_feed_partitions SET position = 100 + partition_no * 10');
    const target = new RecordingTarget();
    await feed(target, { partitions: 12, pollMs: 60_000 });
    const rows = (await database.dataSource.query(
      'SELECT partition_no, position::int FROM event_feed_partitions ORDER BY partition_no',
    )) as { partition_no: number; position: number }[];
    // Each of the 12 is part of one of the 4 (k % 4) and goes on from its position.
    expect(rows.map((row) => row.position)).toEqual(Array.from({ length: 12 }, (_, k) => 100 + (k % 4) * 10));
  });

  it('a frozen owner costs its lease: another instance takes its partitions over and sends what it had not', async () => {
    const frozen = new RecordingTarget();
    // The owner's request never comes back, as if its process had been stopped mid-push.
    frozen.outcome = () => new Promise<PushOutcome>(() => undefined);
    const owner = await feed(frozen, { partitions: 2, leaseMs: 1000 });
    await record(['f1'], [1, 2]);
    await record(['f2'], [2]);
    owner.kick();
    await sleep(200);
    const other = new RecordingTarget();
    await feed(other, { partitions: 2, leaseMs: 1000 });
    await eventually(() => expect([...other.entries].sort()).toEqual(['f1@1', 'f1@2', 'f2@2']), 10_000);
    expect(frozen.entries).toEqual([]);
    const [{ owners }] = (await database.dataSource.query(
      'SELECT count(DISTINCT owner)::int AS owners FROM event_feed_partitions',
    )) as { owners: number }[];
    expect(owners).toBe(1);
  });
});
