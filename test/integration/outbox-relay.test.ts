import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { type Database, openDatabase, runMigrations } from '../../src/database/database';
import { OutboxEvent } from '../../src/entities';
import { type EventSinks, OutboxRelay, type PushOutcome } from '../../src/events/outbox-relay';
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

  async publish(events: readonly RealtimeEvent[]): Promise<void> {
    this.published.push(...events.map((e) => e.payload));
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
});

async function record(payloads: string[], recipients: number[] = [1]): Promise<void> {
  const repository = database.dataSource.getRepository(OutboxEvent);
  for (const payload of payloads) {
    await repository.insert({ name: RealtimeEventName.MESSAGE_CREATED, recipientIds: recipients, payload });
  }
}

function relay(sinks: RecordingSinks): OutboxRelay {
  return new OutboxRelay(database.dataSource, sinks, createLogger('silent'), {
    exclusive: !database.embedded,
    pollMs: 50,
    minBackoffMs: 20,
    maxBackoffMs: 100,
  });
}

it('publishes and pushes in order, packing at most maxPushEntries channel deliveries per request', async () => {
  const sinks = new RecordingSinks();
  await record(['e1', 'e2', 'e3'], [1, 2, 3, 4]);
  await record(['e4']);
  const running = relay(sinks);
  running.start();
  await eventually(async () => expect(await database.dataSource.getRepository(OutboxEvent).count()).toBe(0));
  await running.stop();
  expect(sinks.published).toEqual(['e1', 'e2', 'e3', 'e4']);
  // 4 + 4 entries fit in one request of 10; the third event's 4 more would not.
  expect(sinks.pushed).toEqual([
    ['e1', 'e2'],
    ['e3', 'e4'],
  ]);
});

it('drops only the events Pusher refuses (4xx), and delivers the rest', async () => {
  const sinks = new RecordingSinks();
  sinks.outcome = (events) =>
    events.some((e) => e.payload === 'too-big')
      ? { delivered: false, retry: false, error: '413: too big' }
      : { delivered: true };
  await record(['ok1', 'too-big', 'ok2']);
  const running = relay(sinks);
  running.start();
  await eventually(async () => expect(await database.dataSource.getRepository(OutboxEvent).count()).toBe(0));
  await running.stop();
  expect(sinks.pushed.flat()).toEqual(['ok1', 'ok2']);
});

it('retries a failing Pusher without repeating GraphQL, keeping later events behind the failed one', async () => {
  const sinks = new RecordingSinks();
  let failures = 3;
  sinks.outcome = () =>
    failures-- > 0 ? { delivered: false, retry: true, error: '503' } : { delivered: true };
  await record(['a', 'b']);
  const running = relay(sinks);
  running.start();
  await eventually(async () => expect(await database.dataSource.getRepository(OutboxEvent).count()).toBe(0));
  await running.stop();
  expect(sinks.published).toEqual(['a', 'b']);
  expect(sinks.pushed).toEqual([['a', 'b']]);
});
