import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { type Database, openDatabase, runMigrations } from '../../src/database/database';
import { OutboxEvent } from '../../src/entities';
import {
  type EventSinks,
  OutboxRelay,
  type OutboxRelayOptions,
  type PushOutcome,
  type RelayObserver,
  type RelaySink,
} from '../../src/events/outbox-relay';
import { RealtimeEventName, type RealtimeEvent } from '../../src/events/realtime-event';
import { createLogger } from '../../src/logger';
import { resetDatabase } from '../support/test-server';
import { eventually } from '../support/wait';

// The relay against a real database, with recording sinks standing in for the bus and Pusher.
class RecordingSinks implements EventSinks {
  readonly maxPushEntries = 10;
  readonly published: string[] = [];
  readonly pushed: string[][] = [];
  outcome: (events: readonly RealtimeEvent[]) => PushOutcome = () => ({ delivered: true });
  /** Throws instead of publishing when it returns true. */
  publishFails: (event: RealtimeEvent) => boolean = () => false;

  async publish(events: readonly RealtimeEvent[]): Promise<void> {
    for (const event of events) {
      if (this.publishFails(event)) throw new Error('bus unavailable');
      this.published.push(event.payload);
    }
  }

  async push(events: readonly RealtimeEvent[]): Promise<PushOutcome> {
    const outcome = this.outcome(events);
    if (outcome.delivered) this.pushed.push(events.map((e) => e.payload));
    return outcome;
  }
}

let dataDir: string;
let database: Database;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-relay-'));
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
  await database.dataSource.getRepository(OutboxEvent).clear();
  await database.dataSource.query('DELETE FROM event_retention_marks');
});

async function record(payloads: string[], recipients: number[] = [1]): Promise<void> {
  const repository = database.dataSource.getRepository(OutboxEvent);
  for (const payload of payloads) {
    await repository.insert({ name: RealtimeEventName.MESSAGE_CREATED, recipientIds: recipients, payload });
  }
}

function relay(sinks: RecordingSinks, options: Partial<OutboxRelayOptions> = {}): OutboxRelay {
  return new OutboxRelay(database.dataSource, sinks, createLogger('silent'), {
    exclusive: !database.embedded,
    pollMs: 50,
    minBackoffMs: 20,
    maxBackoffMs: 100,
    ...options,
  });
}

async function drained(running: OutboxRelay): Promise<void> {
  await eventually(async () => expect((await running.backlog()).pending).toBe(0));
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
  lag(sink: RelaySink, ms: number): void {
    expect(ms).toBeGreaterThanOrEqual(0);
  }
}

async function rows(): Promise<OutboxEvent[]> {
  return database.dataSource.getRepository(OutboxEvent).find({ order: { id: 'ASC' } });
}

it('publishes and pushes in order, packing at most maxPushEntries channel deliveries per request', async () => {
  const sinks = new RecordingSinks();
  await record(['e1', 'e2', 'e3'], [1, 2, 3, 4]);
  await record(['e4']);
  const running = relay(sinks);
  running.start();
  await drained(running);
  await running.stop();
  expect(sinks.published).toEqual(['e1', 'e2', 'e3', 'e4']);
  // 4 + 4 entries fit in one request of 10; the third event's 4 more would not.
  expect(sinks.pushed).toEqual([
    ['e1', 'e2'],
    ['e3', 'e4'],
  ]);
});

it('sets aside only the events Pusher refuses (4xx), and delivers the rest', async () => {
  const sinks = new RecordingSinks();
  sinks.outcome = (events) =>
    events.some((e) => e.payload === 'too-big')
      ? { delivered: false, retry: false, error: '413: too big' }
      : { delivered: true };
  await record(['ok1', 'too-big', 'ok2']);
  const running = relay(sinks);
  running.start();
  await drained(running);
  await running.stop();
  expect(sinks.pushed.flat()).toEqual(['ok1', 'ok2']);
  expect((await rows()).map((row) => [row.payload, row.deadAt !== null])).toEqual([
    ['ok1', false],
    ['too-big', true],
    ['ok2', false],
  ]);
});

it('retries a failing Pusher without repeating GraphQL, keeping later events behind the failed one', async () => {
  const sinks = new RecordingSinks();
  let failures = 3;
  sinks.outcome = () =>
    failures-- > 0 ? { delivered: false, retry: true, error: '503' } : { delivered: true };
  await record(['a', 'b']);
  const running = relay(sinks);
  running.start();
  await drained(running);
  await running.stop();
  expect(sinks.published).toEqual(['a', 'b']);
  expect(sinks.pushed.flat()).toEqual(['a', 'b']);
  // Delivered rows are kept (for the retention period), marked for both sinks.
  const kept = await rows();
  expect(kept.every((row) => row.publishedAt !== null && row.pushedAt !== null && row.deadAt === null)).toBe(
    true,
  );
});

it('sets an event that keeps failing aside as dead after maxAttempts, and delivers the later ones', async () => {
  const sinks = new RecordingSinks();
  sinks.outcome = (events) =>
    events.some((e) => e.payload === 'poison')
      ? { delivered: false, retry: true, error: '500: boom' }
      : { delivered: true };
  const observer = new CountingObserver();
  await record(['before', 'poison', 'after1', 'after2']);
  const running = relay(sinks, { maxAttempts: 3, observer });
  running.start();
  await drained(running);
  await running.stop();
  expect(sinks.pushed.flat()).toEqual(['before', 'after1', 'after2']);
  const poison = (await rows()).find((row) => row.payload === 'poison');
  expect(poison?.deadAt).not.toBeNull();
  expect(poison?.attempts).toBe(3);
  expect(observer.counts['dead:pusher']).toBe(1);
  expect(observer.counts['delivered:pusher']).toBe(3);
  expect(observer.counts['delivered:graphql']).toBe(4);
});

it('kills nothing during a Pusher outage longer than maxAttempts, and delivers everything after it', async () => {
  const sinks = new RecordingSinks();
  let down = true;
  sinks.outcome = () => (down ? { delivered: false, retry: true, error: '503' } : { delivered: true });
  await record(['o1', 'o2', 'o3']);
  const running = relay(sinks, { maxAttempts: 2 });
  running.start();
  await eventually(async () => expect((await rows())[0].attempts).toBeGreaterThanOrEqual(4));
  expect((await rows()).every((row) => row.deadAt === null)).toBe(true);
  down = false;
  await drained(running);
  await running.stop();
  expect(sinks.pushed.flat()).toEqual(['o1', 'o2', 'o3']);
  expect((await rows()).every((row) => row.deadAt === null)).toBe(true);
});

it('a publish failing mid-batch sends no event to GraphQL twice, and loses none', async () => {
  const sinks = new RecordingSinks();
  let failures = 2;
  sinks.publishFails = (event) => event.payload === 'p3' && failures-- > 0;
  await record(['p1', 'p2', 'p3', 'p4', 'p5']);
  const observer = new CountingObserver();
  const running = relay(sinks, { observer });
  running.start();
  await eventually(() => expect(sinks.published).toHaveLength(5));
  await drained(running);
  await running.stop();
  expect(sinks.published).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
  expect(observer.counts['retried:graphql']).toBeGreaterThanOrEqual(2);
});

it('keeps delivering to Pusher while GraphQL publishing is down', async () => {
  const sinks = new RecordingSinks();
  let down = true;
  sinks.publishFails = () => down;
  await record(['x1', 'x2', 'x3']);
  const running = relay(sinks);
  running.start();
  await eventually(async () => expect(sinks.pushed.flat()).toEqual(['x1', 'x2', 'x3']));
  expect(sinks.published).toEqual([]);
  down = false;
  await eventually(() => expect(sinks.published).toEqual(['x1', 'x2', 'x3']));
  await running.stop();
  expect(sinks.published).toEqual(['x1', 'x2', 'x3']);
});

it('prunes only rows delivered longer ago than the retention period', async () => {
  await record(['old', 'recent', 'pending']);
  await database.dataSource.query(
    `UPDATE event_outbox SET published_at = now(), pushed_at = now() - interval '73 hours' WHERE payload = 'old'`,
  );
  await database.dataSource.query(
    `UPDATE event_outbox SET published_at = now(), pushed_at = now() - interval '71 hours' WHERE payload = 'recent'`,
  );
  await database.dataSource.query(
    `UPDATE event_outbox SET created_at = now() - interval '100 hours' WHERE payload = 'pending'`,
  );
  const running = relay(new RecordingSinks(), { retentionHours: 72 });
  expect(await running.prune()).toBe(1);
  expect((await rows()).map((row) => row.payload)).toEqual(['recent', 'pending']);
  expect(await running.backlog()).toEqual({ pending: 1, oldestAgeSeconds: expect.any(Number) });
  expect((await running.backlog()).oldestAgeSeconds).toBeGreaterThan(99 * 3600);
});

it('records per recipient the newest event pruned, never moving a mark back', async () => {
  await record(['a-old'], [1, 2]);
  await record(['b-old'], [2]);
  await record(['kept'], [1, 3]);
  // Unread counts are not replayed: pruning one is no loss.
  await database.dataSource
    .getRepository(OutboxEvent)
    .insert({ name: RealtimeEventName.UNREAD_COUNTS_UPDATED, recipientIds: [4], payload: 'counts-old' });
  const ids = (await rows()).map((row) => row.id);
  await database.dataSource.query(
    `UPDATE event_outbox SET published_at = now(), pushed_at = now() - interval '80 hours' WHERE payload LIKE '%-old'`,
  );
  const running = relay(new RecordingSinks(), { retentionHours: 72 });
  expect(await running.prune()).toBe(3);
  const marks = async () =>
    (await database.dataSource.query(
      'SELECT user_id, pruned_through FROM event_retention_marks ORDER BY user_id',
    )) as { user_id: number; pruned_through: string }[];
  expect(await marks()).toEqual([
    { user_id: 1, pruned_through: ids[0] },
    { user_id: 2, pruned_through: ids[1] },
  ]);
  // A mark only moves forward, whatever order rows are pruned in.
  await database.dataSource.query(
    'UPDATE event_retention_marks SET pruned_through = 999999 WHERE user_id = 1',
  );
  await database.dataSource.query(
    `UPDATE event_outbox SET published_at = now(), pushed_at = now() - interval '80 hours' WHERE payload = 'kept'`,
  );
  expect(await running.prune()).toBe(1);
  expect(await marks()).toEqual([
    { user_id: 1, pruned_through: '999999' },
    { user_id: 2, pruned_through: ids[1] },
    { user_id: 3, pruned_through: ids[2] },
  ]);
});
