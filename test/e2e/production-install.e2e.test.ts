import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureBuilt, spawnServer } from '../support/spawned-server';
import { resetDatabase } from '../support/test-server';

const ROOT = path.resolve(__dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts/production-install.sh');

// What an operator sets in production (the values are only long enough to be accepted).
const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_SECRET: 'a-production-jwt-secret-that-is-32-chars-or-more',
  PUSHER_APP_ID: 'jobwarehouse',
  PUSHER_APP_KEY: 'jobwarehouse-key',
  PUSHER_APP_SECRET: 'a-production-pusher-secret-of-32-chars',
  ADMIN_EMAIL: 'ops@example.com',
  ADMIN_PASSWORD: 'a-long-production-password-of-32-chars',
  REDIS_PREFIX: process.env.TEST_REDIS_PREFIX,
};

let installDir: string;
let dataDir: string;
beforeAll(async () => {
  ensureBuilt();
  installDir = await mkdtemp(path.join(os.tmpdir(), 'jw-production-'));
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-production-data-'));
  // The same script the Dockerfile runs: copy the built tree, then `npm ci --omit=dev` in the copy.
  await promisify(execFile)(SCRIPT, ['install', installDir], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
}, 600_000);
afterAll(async () => {
  await rm(installDir, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

it('installs production dependencies only', () => {
  expect(existsSync(path.join(installDir, 'node_modules/graphql-ws'))).toBe(true);
  // (typescript itself comes along: typeorm's CLI wants ts-node as a peer.)
  for (const devOnly of ['jest', 'eslint', 'prettier', 'esbuild']) {
    expect(existsSync(path.join(installDir, 'node_modules', devOnly))).toBe(false);
  }
});

it('starts node dist/src/main.js from that install in production mode, answers /readyz, stops on SIGTERM', async () => {
  if (process.env.DATABASE_URL) await resetDatabase(process.env.DATABASE_URL);
  const server = await spawnServer(
    { ...PRODUCTION, DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: dataDir },
    path.join(installDir, 'dist/src/main.js'),
  );
  try {
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    // Production mode: the sandbox and introspection are off.
    const introspection = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
    });
    expect(introspection.status).toBe(400);
  } finally {
    server.child.kill('SIGTERM');
  }
  expect(await server.exited).toEqual({ code: 0, signal: null });
}, 120_000);

it('npm run import:legacy and npm start in that install run the built tree, and leave it in place', async () => {
  // In a checkout these scripts build first; an install has no compiler config, and the build's clean step would
  // delete the dist/ it cannot rebuild.
  const run = await promisify(execFile)('npm', ['run', '-s', 'import:legacy', '--', '--from', 'garbage'], {
    cwd: installDir,
    env: { PATH: process.env.PATH },
  }).then(
    () => ({ stderr: '' }),
    (error: { stderr: string }) => error,
  );
  expect(run.stderr).toContain('import:legacy: --from is not a URL: garbage');
  expect(existsSync(path.join(installDir, 'dist/src/main.js'))).toBe(true);
  const scripts = JSON.parse(await readFile(path.join(installDir, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  expect(scripts.scripts.start).toBe('node dist/src/main.js');
  expect(Object.keys(scripts.scripts).filter((name) => name.startsWith('pre'))).toEqual([]);
}, 120_000);
