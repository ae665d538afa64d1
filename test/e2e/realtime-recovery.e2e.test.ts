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
