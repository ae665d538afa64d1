import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { GraphQLClient } from '../support/graphql-client';
import { resetDatabase } from '../support/test-server';

/**
 * Starts the built server as `npm start` does (`node dist/src/main.js`, NODE_ENV not `test`), then stops it by
 * signal. Builds dist first when it is missing or older than src.
 */
const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'dist/src/main.js');
const SECRET = 'a-production-secret-of-more-than-32-characters';
const ADMIN = { email: 'ops-admin@example.com', password: 'an-admin-password-of-more-than-32-chars' };
const PUSHER_KEY = 'ops-pusher-key-of-more-than-32-characters';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

beforeAll(() => {
  if (!existsSync(MAIN) || statSync(MAIN).mtimeMs < newestMtime(path.join(ROOT, 'src'))) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  }
}, 120_000);

interface Started {
  readonly child: ChildProcess;
  readonly port: number;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();
// A failed test must not leave its server running.
afterAll(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Spawned {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the output matches. */
  readonly printed: (pattern: RegExp) => Promise<RegExpExecArray>;
}

function spawnServer(env: Record<string, string | undefined>): Spawned {
  const child = spawn(process.execPath, [MAIN], {
    cwd: os.tmpdir(), // no .env of the checkout
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const printed = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output);
        if (match) resolve(match);
        return match !== null;
      };
      if (check()) return;
      const onData = () => {
        if (check()) {
          child.stdout?.off('data', onData);
          child.stderr?.off('data', onData);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void exited.then(({ code }) =>
        reject(new Error(`server exited (${code}) before printing ${pattern}:\n${output}`)),
      );
    });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return { child, output: () => output, exited, printed };
}

/** Spawns the server and resolves once its "server ready" line names the port. */
async function start(env: Record<string, string | undefined>): Promise<Started> {
  const spawned = spawnServer(env);
  const match = await spawned.printed(/"url":"http:\/\/127\.0\.0\.1:(\d+)\/graphql"/);
  return { child: spawned.child, port: Number(match[1]), output: spawned.output, exited: spawned.exited };
}

/** Resolves with the socket's close code once it closes. */
function closeCode(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => socket.once('close', (code) => resolve(code)));
}

async function openGraphQLSocket(port: number, token: string): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/graphql`, 'graphql-transport-ws');
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  const ack = await new Promise<string>((resolve) =>
    socket.once('message', (data: Buffer) => resolve(data.toString())),
  );
  expect(JSON.parse(ack)).toEqual(expect.objectContaining({ type: 'connection_ack' }));
  return socket;
}

async function openPusherSocket(port: number, key: string): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/app/${key}?protocol=7`);
  const first = await new Promise<string>((resolve, reject) => {
    socket.once('message', (data: Buffer) => resolve(data.toString()));
    socket.once('error', reject);
  });
  expect(JSON.parse(first)).toEqual(expect.objectContaining({ event: 'pusher:connection_established' }));
  return socket;
}

const REGISTER = `mutation R($input: RegisterInput!) { register(input: $input) { accessToken } }`;
const LOGIN = `mutation L($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`;

const modes: { name: string; env: () => Record<string, string | undefined>; pusherKey: string }[] = [
  { name: 'NODE_ENV unset', env: () => ({}), pusherKey: 'app-key' },
  {
    name: 'NODE_ENV=production',
    env: () => ({
      NODE_ENV: 'production',
      JWT_SECRET: SECRET,
      PUSHER_APP_ID: 'ops-app-id',
      PUSHER_APP_KEY: PUSHER_KEY,
      PUSHER_APP_SECRET: `${SECRET}-pusher`,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
    }),
    pusherKey: PUSHER_KEY,
  },
];
const databases: { name: string; url: string | undefined }[] = [{ name: 'embedded', url: undefined }];
if (process.env.DATABASE_URL) databases.push({ name: 'PostgreSQL', url: process.env.DATABASE_URL });

describe.each(modes)('shutdown by signal ($name)', (mode) => {
  describe.each(databases)('on $name', (database) => {
    let dataDir: string;
    beforeEach(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-shutdown-'));
      if (database.url) await resetDatabase(database.url);
    });
    afterEach(() => rm(dataDir, { recursive: true, force: true }));

    it.each(['SIGTERM', 'SIGINT'] as const)(
      '%s closes the sockets, exits 0 within 10 s and a restart keeps the data',
      async (signal) => {
        const env = { ...mode.env(), DATA_DIR: dataDir, DATABASE_URL: database.url };
        const first = await start(env);
        const client = new GraphQLClient(`http://127.0.0.1:${first.port}/graphql`);
        const user = { email: `ops-${signal}@example.com`, password: 'a-long-enough-password' };
        const { register } = await client.ok<{ register: { accessToken: string } }>(REGISTER, {
          input: {
            ...user,
            name: 'Ops',
            phonenumber: '+1 555 0100',
            address: 'Main St 1',
            role: 'JOBSEEKER',
          },
        });
        const graphqlSocket = await openGraphQLSocket(first.port, register.accessToken);
        const pusherSocket = await openPusherSocket(first.port, mode.pusherKey);
        const codes = Promise.all([closeCode(graphqlSocket), closeCode(pusherSocket)]);

        const signalledAt = Date.now();
        first.child.kill(signal);
        const exit = await first.exited;
        expect(Date.now() - signalledAt).toBeLessThan(10_000);
        expect(exit).toEqual({ code: 0, signal: null });
        // graphql-ws: 1001 Going away; built-in Pusher: 4200, which pusher-js answers by reconnecting.
        expect(await codes).toEqual([1001, 4200]);
        expect(first.output()).toContain('"msg":"stopped"');

        const second = await start(env);
        try {
          const again = new GraphQLClient(`http://127.0.0.1:${second.port}/graphql`);
          const { login } = await again.ok<{ login: { accessToken: string } }>(LOGIN, {
            e: user.email,
            p: user.password,
          });
          expect(login.accessToken).toEqual(expect.any(String));
        } finally {
          second.child.kill('SIGTERM');
          expect((await second.exited).code).toBe(0);
        }
      },
      60_000,
    );
  });
});

describe('data folder lock', () => {
  it('refuses a second server on the same DATA_DIR while the first runs, and takes over a stale lock', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-lock-'));
    try {
      const first = await start({ DATA_DIR: dataDir });
      const refused = await start({ DATA_DIR: dataDir }).then(
        () => 'started',
        (error: Error) => error.message,
      );
      expect(refused).toContain(`is in use by process ${first.child.pid}`);
      // A lock whose process died without releasing it is taken over.
      first.child.kill('SIGKILL');
      await first.exited;
      const next = await start({ DATA_DIR: dataDir });
      next.child.kill('SIGTERM');
      expect((await next.exited).code).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** Completes a WebSocket upgrade on `path`, then never reads again: it will not answer a close frame. */
async function openDeafSocket(port: number, path: string): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
      'Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n',
  );
  await new Promise((resolve) => socket.once('data', resolve));
  socket.pause();
  return socket;
}

describe('clients that never answer the close handshake', () => {
  let dataDir: string;
  let deaf: net.Socket[] = [];
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-deaf-'));
  });
  afterEach(async () => {
    for (const socket of deaf) socket.destroy();
    deaf = [];
    await rm(dataDir, { recursive: true, force: true });
  });

  it('are cut off, so the shutdown still finishes and exits 0', async () => {
    const server = await start({ DATA_DIR: dataDir });
    deaf = [
      await openDeafSocket(server.port, '/graphql'),
      await openDeafSocket(server.port, '/app/app-key?protocol=7'),
    ];
    server.child.kill('SIGTERM');
    const exit = await server.exited;
    expect(exit.code).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');
  }, 30_000);

  it('a second signal exits at once while the first shutdown waits on them', async () => {
    const server = await start({ DATA_DIR: dataDir });
    deaf = [await openDeafSocket(server.port, '/graphql')];
    server.child.kill('SIGINT');
    // The first shutdown now waits up to a second for the deaf client to answer its close frame.
    await new Promise((resolve) => setTimeout(resolve, 200));
    server.child.kill('SIGINT');
    const exit = await server.exited;
    expect(exit.code).toBe(130);
    expect(server.output()).toContain('second signal');
  }, 30_000);
});

describe('a data folder whose server was killed but not reaped', () => {
  it('is taken over: a zombie holds no files', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-zombie-'));
    // `exec sleep` makes sleep the server's parent, and sleep never reaps it: killed, it stays a zombie, as under a
    // container without an init.
    const holder = spawn('sh', ['-c', `"${process.execPath}" "${MAIN}" & echo $!; exec sleep 120`], {
      cwd: os.tmpdir(),
      env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(holder);
    try {
      let output = '';
      holder.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await eventuallyTrue(() => /"msg":"server ready"/.test(output), 30_000);
      const serverPid = Number(/^(\d+)$/m.exec(output)?.[1]);
      process.kill(serverPid, 'SIGKILL');
      await eventuallyTrue(() => readFileSync(`/proc/${serverPid}/stat`, 'utf8').includes(') Z'), 10_000);

      const next = await start({ DATA_DIR: dataDir });
      next.child.kill('SIGTERM');
      expect(await next.exited).toEqual({ code: 0, signal: null });
    } finally {
      holder.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** Polls until the check holds. */
async function eventuallyTrue(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a signal during start-up', () => {
  it('stops the server cleanly instead of killing it, and releases the data folder', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-early-'));
    try {
      const early = spawnServer({ DATA_DIR: dataDir });
      // Printed on a new data folder while the server is still starting.
      await early.printed(/created the first admin account/);
      early.child.kill('SIGTERM');
      expect(await early.exited).toEqual({ code: 0, signal: null });
      expect(early.output()).toContain('"msg":"stopped"');

      const next = await start({ DATA_DIR: dataDir });
      next.child.kill('SIGTERM');
      expect(await next.exited).toEqual({ code: 0, signal: null });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
