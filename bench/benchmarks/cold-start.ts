import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, startServerProcess } from '../processes';
import { type BenchResult, fixed } from '../result';
import { serverEnv } from '../server-env';

/** From spawning `node dist/src/main.js` to its first `/readyz` 200, on data that already exists. */
async function timeStart(options: { databaseUrl?: string; dataDir: string }): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const server = await startServerProcess(serverEnv({ ...options, port }), port);
  const ms = performance.now() - started;
  await server.stop();
  return Math.round(ms);
}

/** Cold start on an existing embedded data folder (made by a first, untimed start) and on PostgreSQL. */
export async function coldStartBenchmark(databaseUrl: string): Promise<BenchResult> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-bench-embedded-'));
  let embeddedMs: number;
  let postgresMs: number;
  try {
    await timeStart({ dataDir });
    embeddedMs = await timeStart({ dataDir });
    postgresMs = await timeStart({ databaseUrl, dataDir });
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  return {
    name: 'cold-start',
    rows: [
      {
        what: 'cold start, embedded data folder: ms',
        project: fixed(embeddedMs, 0),
        baseline: 'none',
        ratio: undefined,
        target: '< 3000 ms',
        met: embeddedMs < 3000,
      },
      {
        what: 'cold start, PostgreSQL: ms',
        project: fixed(postgresMs, 0),
        baseline: 'none',
        ratio: undefined,
        target: '< 1000 ms',
        met: postgresMs < 1000,
      },
    ],
    figures: { embeddedMs, postgresMs },
  };
}
