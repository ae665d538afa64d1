import { spawn } from 'node:child_process';
import path from 'node:path';
import { sendMessage } from '../fixtures/messages';
import { createUser } from '../fixtures/users';
import { startTcpProxy } from '../support/tcp-proxy';
import { startTestServer, type TestServer } from '../support/test-server';
import { eventually } from '../support/wait';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

/** Runs an example as a reader of the README would, until it has printed one event (or MAX_EVENTS). */
function runExample(file: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'examples', file)], {
    env: { ...process.env, MAX_EVENTS: '1', ...env, NODE_OPTIONS: '' },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start listening:\n${output}`)), 20_000);
    child.stdout.on('data', () => {
      if (output.includes('listening as')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { listening, exited, output: () => output, kill: () => child.kill() };
}

it.each(['graphql-ws-client.mjs', 'legacy-pusher.mjs', 'laravel-echo.mjs'])(
  '%s logs in and prints the message sent to the user',
  async (file) => {
    const a = await createUser(t.client);
    const b = await createUser(t.client, { name: 'Example Reader' });
    const example = runExample(file, { API_URL: t.url, EMAIL: b.email, PASSWORD: b.password });
    try {
      await example.listening;
      expect(example.output()).toContain('listening as Example Reader');
      await sendMessage(t.client, a.token, b.id, `Hello, ${file}`);
      expect(await example.exited).toBe(0);
      expect(example.output()).toContain(`Hello, ${file}`);
      expect(example.output()).toMatch(/messageCreated|MessageCreated/);
    } finally {
      example.kill();
    }
  },
);

it.each(['legacy-catch-up.mjs', 'graphql-ws-resume.mjs'])(
  '%s gets the 20 messages committed while its network was down, in order, none twice',
  async (file) => {
    const proxy = await startTcpProxy(t.server.port);
    const a = await createUser(t.client);
    const b = await createUser(t.client, { name: 'Example Reader' });
    const example = runExample(file, {
      API_URL: `http://127.0.0.1:${proxy.port}`,
      EMAIL: b.email,
      PASSWORD: b.password,
      MAX_EVENTS: '22',
    });
    const details = () => [...example.output().matchAll(/"detail":"([^"]+)"/g)].map((match) => match[1]);
    try {
      await example.listening;
      await sendMessage(t.client, a.token, b.id, 'before the cut');
      await eventually(() => expect(details()).toEqual(['before the cut']));
      proxy.cut();
      const missed = Array.from({ length: 20 }, (_, i) => `while away ${i}`);
      for (const detail of missed) await sendMessage(t.client, a.token, b.id, detail);
      proxy.restore();
      await eventually(() => expect(details()).toHaveLength(21), 60_000);
      await sendMessage(t.client, a.token, b.id, 'live again');
      expect(await example.exited).toBe(0);
      expect(details()).toEqual(['before the cut', ...missed, 'live again']);
      // They came through the catch-up after a reconnection, not a socket that stayed open.
      expect(example.output()).toMatch(/caught up after reconnecting|reconnected: resuming/);
    } finally {
      example.kill();
      await proxy.close();
    }
  },
  90_000,
);

it('apollo-client.mjs keeps its badge and chat list current from the subscriptions and its own reply, with a default cache', async () => {
  const a = await createUser(t.client, { name: 'Apollo Writer' });
  const b = await createUser(t.client, { name: 'Example Reader' });
  await sendMessage(t.client, a.token, b.id, 'first');
  const example = runExample('apollo-client.mjs', { API_URL: t.url, EMAIL: b.email, PASSWORD: b.password });
  try {
    await example.listening;
    expect(example.output()).toContain('badge: 1 unseen messages from 1 people');
    expect(example.output()).toContain('chats: Apollo Writer: "first" (1 unseen)');
    await sendMessage(t.client, a.token, b.id, 'Hello, Apollo');
    expect(await example.exited).toBe(0);
    // No refetch: the new counts came with unreadCountsChanged, the entry with messageCreated and sendMessage.
    expect(example.output()).toContain('badge: 2 unseen messages from 1 people');
    expect(example.output()).toContain('chats: Apollo Writer: "Hello, Apollo" (2 unseen)');
    expect(example.output()).toContain('chats: Apollo Writer: "Re: Hello, Apollo" (2 unseen)');
    expect(example.output()).not.toMatch(/failed|Error/);
  } finally {
    example.kill();
  }
});
