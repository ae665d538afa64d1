import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sendMessage } from '../fixtures/messages';
import { createUser } from '../fixtures/users';
import { GraphQLClient } from '../support/graphql-client';
import { LegacyPusherClient, messageChannel } from '../support/legacy-pusher-client';
import { closedPort, PUSHER_APP, startFlakyProxy, startPusherService } from '../support/pusher-service';
import { SubscriptionClient } from '../support/subscription-client';
import { resetDatabase, startTestServer, TEST_JWT_SECRET } from '../support/test-server';
import { eventually, SETTLE_MS, sleep } from '../support/wait';

const outsidePusher = (port: number) => ({
  PUSHER_HOST: '127.0.0.1',
  PUSHER_PORT: String(port),
  PUSHER_USE_TLS: 'false',
  PUSHER_APP_ID: PUSHER_APP.appId,
  PUSHER_APP_KEY: PUSHER_APP.key,
  PUSHER_APP_SECRET: PUSHER_APP.secret,
});

it('retries while the Pusher service answers 500, then delivers every event, none twice on GraphQL', async () => {
  const service = await startPusherService();
  const proxy = await startFlakyProxy(service.port);
  const t = await startTestServer({ env: outsidePusher(proxy.port) });
  const a = await createUser(t.client);
  const b = await createUser(t.client);
  const legacy = new LegacyPusherClient({
    wsPort: service.port,
    authUrl: `${t.url}/broadcasting/auth`,
    token: b.token,
  });
  const gql = new SubscriptionClient(t.url, b.token);
  try {
    await legacy.subscribe(messageChannel(b.id));
    await gql.subscribe('messageCreated', 'subscription { messageCreated { id detail } }');

    const sent = [];
    for (let i = 0; i < 3; i++) sent.push(await sendMessage(t.client, a.token, b.id, `while down ${i}`));
    await eventually(() => expect(gql.results('messageCreated')).toHaveLength(3));
    await sleep(SETTLE_MS);
    expect(legacy.received).toHaveLength(0);

    proxy.failing = false;
    await eventually(() => expect(legacy.events('MessageCreated')).toHaveLength(3), 30_000);
    expect(legacy.events('MessageCreated').map((e) => String(e.data.model.message_id))).toEqual(
      sent.map((m) => m.id),
    );
    await sleep(SETTLE_MS);
    expect(legacy.events('MessageCreated')).toHaveLength(3);
    expect(gql.results<{ id: string }>('messageCreated').map((m) => m.id)).toEqual(sent.map((m) => m.id));
  } finally {
    legacy.disconnect();
    await gql.close();
    await t.close();
    await proxy.close();
    await service.close();
  }
});

it('delivers past an event the Pusher service fails forever: later events arrive, the poisoned one ends dead', async () => {
  const service = await startPusherService();
  const proxy = await startFlakyProxy(service.port);
  proxy.failing = false;
  proxy.failRequest = (body) => body.includes('POISONED');
  const t = await startTestServer({ env: { ...outsidePusher(proxy.port), OUTBOX_MAX_ATTEMPTS: '3' } });
  const a = await createUser(t.client);
  const b = await createUser(t.client);
  const legacy = new LegacyPusherClient({
    wsPort: service.port,
    authUrl: `${t.url}/broadcasting/auth`,
    token: b.token,
  });
  try {
    await legacy.subscribe(messageChannel(b.id));
    const before = await sendMessage(t.client, a.token, b.id, 'before');
    const poisoned = await sendMessage(t.client, a.token, b.id, 'POISONED');
    const after = await sendMessage(t.client, a.token, b.id, 'after');
    await eventually(() => expect(legacy.events('MessageCreated')).toHaveLength(2), 30_000);
    expect(legacy.events('MessageCreated').map((e) => String(e.data.model.message_id))).toEqual([
      before.id,
      after.id,
    ]);
    const dead = (await t.server.database.dataSource.query(
      'SELECT payload, attempts FROM event_outbox WHERE dead_at IS NOT NULL',
    )) as { payload: string; attempts: number }[];
    expect(dead).toHaveLength(1);
    expect(String((JSON.parse(dead[0].payload) as { model: { message_id: number } }).model.message_id)).toBe(
      poisoned.id,
    );
    expect(dead[0].attempts).toBe(3);
  } finally {
    legacy.disconnect();
    await t.close();
    await proxy.close();
    await service.close();
  }
}, 60_000);

it('delivers every event once and in order to Pusher and GraphQL while the Pusher service fails 20% of requests', async () => {
  const service = await startPusherService();
  const proxy = await startFlakyProxy(service.port);
  proxy.failing = false;
  proxy.failRequest = () => Math.random() < 0.2;
  const t = await startTestServer({ env: outsidePusher(proxy.port) });
  const a = await createUser(t.client);
  const b = await createUser(t.client);
  const legacy = new LegacyPusherClient({
    wsPort: service.port,
    authUrl: `${t.url}/broadcasting/auth`,
    token: b.token,
  });
  const gql = new SubscriptionClient(t.url, b.token);
  try {
    await legacy.subscribe(messageChannel(b.id));
    await gql.subscribe('messageCreated', 'subscription { messageCreated { id detail } }');
    const sent = [];
    for (let i = 0; i < 100; i++) sent.push(await sendMessage(t.client, a.token, b.id, `flaky ${i}`));
    const ids = sent.map((m) => m.id);
    await eventually(() => expect(legacy.events('MessageCreated')).toHaveLength(100), 90_000);
    await eventually(() => expect(gql.results('messageCreated')).toHaveLength(100), 30_000);
    await sleep(SETTLE_MS);
    expect(legacy.events('MessageCreated').map((e) => String(e.data.model.message_id))).toEqual(ids);
    expect(gql.results<{ id: string }>('messageCreated').map((m) => m.id)).toEqual(ids);
  } finally {
    legacy.disconnect();
    await gql.close();
    await t.close();
    await proxy.close();
    await service.close();
  }
}, 180_000);

it('delivers to pusher-js on the built-in endpoint when HOST binds another loopback address', async () => {
  const t = await startTestServer({ env: { HOST: '127.0.0.2' } });
  const url = `http://127.0.0.2:${t.server.port}`;
  const client = new GraphQLClient(`${url}/graphql`);
  const a = await createUser(client);
  const b = await createUser(client);
  const legacy = new LegacyPusherClient({
    wsHost: '127.0.0.2',
    wsPort: t.server.port,
    authUrl: `${url}/broadcasting/auth`,
    token: b.token,
  });
  try {
    await legacy.subscribe(messageChannel(b.id));
    const sent = await sendMessage(client, a.token, b.id, 'over 127.0.0.2');
    await eventually(() => expect(legacy.events('MessageCreated')).toHaveLength(1));
    expect(String(legacy.events('MessageCreated')[0].data.model.message_id)).toBe(sent.id);
  } finally {
    legacy.disconnect();
    await t.close();
  }
});

/** The server as its own process, as `npm start` runs it, so it can be killed outright. */
function startProcess(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: path.join(__dirname, '..', '..'),
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function waitReady(url: string): Promise<void> {
  await eventually(async () => expect((await fetch(`${url}/readyz`)).status).toBe(200), 60_000);
}

it('delivers events committed just before a SIGKILL once the server is started again', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-kill-'));
  const service = await startPusherService();
  const port = await closedPort();
  const url = `http://127.0.0.1:${port}`;
  const base = {
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'error',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  };
  if (process.env.DATABASE_URL) await resetDatabase(process.env.DATABASE_URL);
  // First life: the Pusher service address refuses connections, so every event stays in the outbox.
  let child = startProcess({ ...base, ...outsidePusher(await closedPort()) });
  let legacy: LegacyPusherClient | undefined;
  try {
    await waitReady(url);
    const client = new GraphQLClient(`${url}/graphql`);
    const a = await createUser(client);
    const b = await createUser(client);
    legacy = new LegacyPusherClient({
      wsPort: service.port,
      authUrl: `${url}/broadcasting/auth`,
      token: b.token,
    });
    await legacy.subscribe(messageChannel(b.id));
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await sendMessage(client, a.token, b.id, `before the crash ${i}`));

    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(legacy.received).toHaveLength(0);

    // Second life: the service is reachable, and what the first life committed goes out.
    child = startProcess({ ...base, ...outsidePusher(service.port) });
    await waitReady(url);
    await eventually(() => expect(legacy?.events('MessageCreated')).toHaveLength(5), 30_000);
    expect(legacy.events('MessageCreated').map((e) => String(e.data.model.message_id))).toEqual(
      sent.map((m) => m.id),
    );
  } finally {
    legacy?.disconnect();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    await service.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}, 120_000);
