import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'dist/src/main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Builds dist when it is missing or older than src, so a spawned server runs the code under test. */
export function ensureBuilt(): void {
  if (!existsSync(MAIN) || statSync(MAIN).mtimeMs < newestMtime(path.join(ROOT, 'src'))) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  }
}

export interface SpawnedServer {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly output: () => string;
}

/**
 * Starts `node dist/src/main.js` as `npm start` does (or another copy of it, `main`) and resolves once its
 * "server ready" line names the port.
 */
export function spawnServer(
  env: Record<string, string | undefined>,
  main: string = MAIN,
): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [main], {
    cwd: os.tmpdir(), // no .env of the checkout
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"http:\/\/127\.0\.0\.1:(\d+)\/graphql"/.exec(output);
      if (match) {
        const port = Number(match[1]);
        resolve({ child, port, url: `http://127.0.0.1:${port}`, exited, output: () => output });
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    void exited.then(({ code }) =>
      reject(new Error(`server exited (${code}) before it was ready:\n${output}`)),
    );
  });
}

/** The id a spawned server feeds the outside Pusher service as (`event_feed_partitions.owner`), from its log. */
export function feedInstanceOf(server: SpawnedServer): string {
  const match = /"feedInstance":"([^"]+)"/.exec(server.output());
  if (!match) throw new Error(`the server does not feed an outside Pusher service:\n${server.output()}`);
  return match[1];
}
