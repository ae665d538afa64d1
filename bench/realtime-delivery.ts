// Measures the write path end to end: sendMessage over HTTP, then the MessageCreated event at a pusher-js client
// and at a graphql-ws client. Run: npm run bench   (BENCH_MESSAGES, DATABASE_URL optional)
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/logger';
import { startServer } from '../src/server';
import { createUser } from '../test/fixtures/users';
import { SEND } from '../test/fixtures/messages';
import { GraphQLClient } from '../test/support/graphql-client';
import { LegacyPusherClient, messageChannel } from '../test/support/legacy-pusher-client';
import { SubscriptionClient } from '../test/support/subscription-client';
import { eventually } from '../test/support/wait';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 300);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const row = (name: string, values: number[]) =>
  `| ${name} | ${percentile(values, 50).toFixed(1)} | ${percentile(values, 95).toFixed(1)} | ${percentile(values, 99).toFixed(1)} |`;

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-bench-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    DATABASE_URL: process.env.DATABASE_URL,
  });
  const server = await startServer(config, createLogger('silent'));
  const client = new GraphQLClient(`${server.url}/graphql`);
  const a = await createUser(client);
  const b = await createUser(client);
  const legacy = new LegacyPusherClient({
    wsPort: server.port,
    authUrl: `${server.url}/broadcasting/auth`,
    token: b.token,
  });
  await legacy.subscribe(messageChannel(b.id));
  const sentAt = new Map<number, number>();
  const pusherLatency: number[] = [];
  legacy.pusher
    .channel(messageChannel(b.id))
    ?.bind('MessageCreated', (data: { model: { message_id: number } }) => {
      pusherLatency.push(performance.now() - (sentAt.get(data.model.message_id) ?? NaN));
    });
  const gql = new SubscriptionClient(server.url, b.token);
  const graphqlLatency: number[] = [];
  gql.client.subscribe(
    { query: 'subscription { messageCreated { id } }' },
    {
      next: (result) => {
        const id = Number((result.data as { messageCreated: { id: string } }).messageCreated.id);
        graphqlLatency.push(performance.now() - (sentAt.get(id) ?? NaN));
      },
      error: () => undefined,
      complete: () => undefined,
    },
  );
  await new Promise((resolve) => setTimeout(resolve, 300));

  const rssBefore = process.memoryUsage().rss;
  const requestLatency: number[] = [];
  const started = performance.now();
  for (let i = 0; i < MESSAGES; i++) {
    const before = performance.now();
    const { sendMessage } = await client.ok<{ sendMessage: { id: string } }>(
      SEND,
      { to: b.id, detail: `m${i}` },
      a.token,
    );
    const after = performance.now();
    requestLatency.push(after - before);
    // The event can only be sent after the commit, so latency is counted from the mutation's answer.
    sentAt.set(Number(sendMessage.id), after);
  }
  await eventually(() => {
    if (pusherLatency.length < MESSAGES || graphqlLatency.length < MESSAGES) throw new Error('waiting');
  }, 60_000);
  const seconds = (performance.now() - started) / 1000;
  const rssAfter = process.memoryUsage().rss;

  console.log(
    `${MESSAGES} messages, ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite'}`,
  );
  console.log(
    `throughput: ${(MESSAGES / seconds).toFixed(0)} messages/s, sent and delivered to both clients`,
  );
  console.log(
    `rss: ${(rssBefore / 2 ** 20).toFixed(0)} MiB before, ${(rssAfter / 2 ** 20).toFixed(0)} MiB after`,
  );
  console.log('| ms | p50 | p95 | p99 |\n| --- | --- | --- | --- |');
  console.log(row('sendMessage request', requestLatency));
  console.log(row('answer → pusher-js MessageCreated', pusherLatency));
  console.log(row('answer → graphql-ws messageCreated', graphqlLatency));

  legacy.disconnect();
  await gql.close();
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
