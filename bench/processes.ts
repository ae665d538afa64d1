import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { buildSync } from 'esbuild';
import { createServer } from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';

export const ROOT = path.resolve(__dirname, '..');

const children = new Set<ChildProcess>();

/** Every child dies with the bench, whether it ends, fails or is interrupted. */
export function killChildrenOnExit(): void {
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      for (const child of children) child.kill('SIGKILL');
      process.exit(130);
    });
  }
}

export interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  /** The last lines the process printed. */
  readonly output: () => string;
  stop(): Promise<void>;
}

/** Node option that lets `collectGarbage` reach a process: its inspector, on a free loopback port. */
export const INSPECT_ARG = '--inspect=127.0.0.1:0';

/**
 * Asks a process started with INSPECT_ARG for a full garbage collection through its inspector, so a memory sample
 * counts what is held, not what is merely not collected yet.
 */
export async function collectGarbage(target: Started): Promise<void> {
  const inspector = /Debugger listening on (ws:\/\/\S+)/.exec(target.output())?.[1];
  if (inspector === undefined)
    throw new Error('collectGarbage: the process was not started with INSPECT_ARG');
  const socket = new WebSocket(inspector);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () =>
        socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })),
      );
      socket.once('message', () => resolve());
      socket.once('error', reject);
    });
  } finally {
    socket.close();
  }
}

/** A port free on loopback right now, for a child to listen on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Starts `node <args>` and keeps the last lines of its output, to explain a failure. */
export function startNode(
  args: string[],
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  // The first lines (where node prints its inspector's address) and the last (which explain a failure).
  let head = '';
  let tail = '';
  const keep = (chunk: Buffer) => {
    if (head.length < 2000) head = (head + chunk.toString()).slice(0, 2000);
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => (head.length < 2000 ? head : `${head}\n…\n${tail}`) };
}

/** Polls `url` until it answers 200; fails if the child exits first or `timeoutMs` passes. */
export async function waitForOk(
  url: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited (${child.exitCode}):\n${output()}`);
    const ok = await fetch(url).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ok) return;
    await sleep(10);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms:\n${output()}`);
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts the built server (`dist/src/main.js`) in production mode and waits for `/readyz`. `nodeArgs` such as
 * `--cpu-prof` profile it; a profile is written when the bench stops it with SIGTERM.
 */
export async function startServerProcess(
  env: NodeJS.ProcessEnv,
  port: number,
  nodeArgs: string[] = [],
): Promise<Started> {
  const { child, output } = startNode([...nodeArgs, path.join(ROOT, 'dist/src/main.js')], env);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForOk(`${url}/readyz`, child, output);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { child, url, output, stop: () => stopChild(child) };
}

/**
 * Compiles a baseline (a TypeScript file under bench/baselines) to one plain JavaScript file, so it runs on bare
 * `node` without a TypeScript loader weighing on its memory and start-up; packages still come from node_modules.
 */
function compileBaseline(file: string): string {
  const outfile = path.join(ROOT, 'node_modules/.cache/jw-bench', file.replace(/\.ts$/, '.js'));
  buildSync({
    entryPoints: [path.join(ROOT, 'bench/baselines', file)],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
  });
  return outfile;
}

/** Starts a baseline as its own `node` process and waits for its `/ready`. */
export async function startBaseline(
  file: string,
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
): Promise<Started> {
  const port = await freePort();
  const { child, output } = startNode([...nodeArgs, compileBaseline(file)], {
    PATH: process.env.PATH,
    ...env,
    PORT: String(port),
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForOk(`${url}/ready`, child, output);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { child, url, output, stop: () => stopChild(child) };
}

/** Resident memory of a process in bytes, from /proc (Linux). */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}

/** Clock ticks per second of /proc's CPU times: USER_HZ, 100 on every Linux the bench runs on. */
const USER_HZ = 100;

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc/<pid>/stat (Linux). */
export async function cpuMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: fields 14 and 15 counted after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
}

/**
 * CPU time (user + system) every PostgreSQL process of this machine has used so far, in milliseconds: the running
 * ones (postmaster, backends, background workers), plus what the exited backends used, which the postmaster
 * collected as its children's time when it reaped them. Only meaningful while the bench is PostgreSQL's one user.
 */
export async function postgresCpuMs(): Promise<number> {
  let total = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (name !== 'postgres') continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14-17: utime, stime, cutime, cstime; only the postmaster (parent 1 or a supervisor) reaps backends.
    total += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  }
  return (total * 1000) / USER_HZ;
}

/**
 * Waits (at most `maxMs`) until a process uses under a tenth of a core over half a second: what an earlier load left
 * queued (a backlog past its drain) then no longer weighs on the next figures.
 */
export async function waitForIdle(pid: number, maxMs = 60_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const before = await cpuMsOf(pid);
    await sleep(500);
    if ((await cpuMsOf(pid)) - before <= 50) return;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
