import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sharedServicesAvailable } from '../support/shared-services';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const BENCHMARKS = ['read', 'fanout', 'notification-burst', 'writes', 'memory', 'cold-start'];

/** The bench empties its database: never the tests' own, so it gets one named after it. */
function benchDatabaseUrl(): string {
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
  url.pathname = `${url.pathname}_bench_quick`;
  return url.href;
}

interface Delivery {
  sent: number;
  failed: number;
  lost: number;
  latencyMs: Record<string, { p50: number; p99: number }>;
}

interface ResultFile {
  name: string;
  machine: { cpus: number; node: string };
  sizes: { quick: boolean; memoryLevels: number[] };
  rows: { what: string; project: string; baseline: string; target: string }[];
  figures: Record<string, unknown>;
}

// npm run bench in quick mode, once: it must finish, write every result file, and lose no event. No figure is
// asserted, only that each was measured: this keeps the scripts working, it does not judge the speed.
describe('npm run bench, BENCH_QUICK=1', () => {
  let outDir: string | undefined;
  const results = new Map<string, ResultFile>();
  // The bench runs on a PostgreSQL server, as the figures do: left out where there is none (CI has one).
  let available = false;

  beforeAll(async () => {
    available = await sharedServicesAvailable();
    if (!available) return;
    outDir = await mkdtemp(path.join(os.tmpdir(), 'jw-bench-test-'));
    await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
    await run(process.execPath, ['-r', 'ts-node/register/transpile-only', 'bench/run.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        BENCH_QUICK: '1',
        BENCH_DATABASE_URL: benchDatabaseUrl(),
        BENCH_OUT_DIR: outDir,
      },
      maxBuffer: 16 * 2 ** 20,
    });
    for (const name of BENCHMARKS) {
      const file = path.join(outDir, 'results', `${name}.json`);
      if (existsSync(file)) results.set(name, JSON.parse(await readFile(file, 'utf8')) as ResultFile);
    }
  }, 600_000);

  afterAll(async () => {
    if (outDir !== undefined) await rm(outDir, { recursive: true, force: true });
  });

  it('writes a result file per benchmark, each naming the machine and the sizes and holding rows', () => {
    if (!available) return;
    expect([...results.keys()].sort()).toEqual([...BENCHMARKS].sort());
    for (const result of results.values()) {
      expect(result.machine.cpus).toBeGreaterThan(0);
      expect(result.machine.node).toBe(process.version);
      expect(result.sizes.quick).toBe(true);
      expect(result.rows.length).toBeGreaterThan(0);
      for (const row of result.rows) expect(row.project).not.toMatch(/n\/a|NaN/);
    }
  });

  it('measures the read queries on the server and on the bare baseline, with no failed request', () => {
    if (!available) return;
    const figures = results.get('read')?.figures as Record<
      string,
      Record<
        'project' | 'baseline',
        { requestsPerSecond: number; p99Ms: number; non2xx: number; errors: number }
      >
    >;
    expect(Object.keys(figures).sort()).toEqual(['conversation', 'me']);
    for (const query of Object.values(figures)) {
      for (const side of [query.project, query.baseline]) {
        expect(side.requestsPerSecond).toBeGreaterThan(0);
        expect(side.p99Ms).toBeGreaterThan(0);
        expect(side.non2xx).toBe(0);
        expect(side.errors).toBe(0);
      }
    }
  });

  it('delivers every fan-out message to graphql-ws and pusher-js receivers, and on the baseline', () => {
    if (!available) return;
    const figures = results.get('fanout')?.figures as Record<
      string,
      Record<'project' | 'baseline', Delivery>
    >;
    expect(Object.keys(figures)).toHaveLength(2);
    for (const { project, baseline } of Object.values(figures)) {
      expect(project.sent).toBeGreaterThan(0);
      expect([project.lost, project.failed, baseline.lost, baseline.failed]).toEqual([0, 0, 0, 0]);
      expect(Object.keys(project.latencyMs).sort()).toEqual(['graphql-ws', 'pusher-js']);
      expect(Object.keys(baseline.latencyMs)).toEqual(['ws']);
    }
  });

  it('delivers the notification burst to every receiver', () => {
    if (!available) return;
    const figures = results.get('notification-burst')?.figures as {
      receivers: number;
      delivered: number;
      lost: number;
    };
    expect(figures.receivers).toBeGreaterThan(0);
    expect(figures.delivered).toBe(figures.receivers);
    expect(figures.lost).toBe(0);
  });

  it('delivers every write, on the server and on the baseline', () => {
    if (!available) return;
    const figures = results.get('writes')?.figures as Record<
      'project' | 'baseline',
      { sent: number; delivered: number; lost: number; failed: number; messagesPerSecond: number }
    >;
    for (const side of [figures.project, figures.baseline]) {
      expect(side.sent).toBeGreaterThan(0);
      expect(side.delivered).toBe(side.sent);
      expect([side.lost, side.failed]).toEqual([0, 0]);
      expect(side.messagesPerSecond).toBeGreaterThan(0);
    }
  });

  it('samples memory at every level for both client kinds and the bare ws server', () => {
    if (!available) return;
    const result = results.get('memory') as ResultFile;
    const figures = result.figures as {
      project: Record<string, { connections: number; rssBytes: number }[]>;
      baseline: { connections: number; rssBytes: number }[];
    };
    for (const samples of [figures.project['graphql-ws'], figures.project['pusher-js'], figures.baseline]) {
      expect(samples.map((s) => s.connections)).toEqual(result.sizes.memoryLevels);
      for (const sample of samples) expect(sample.rssBytes).toBeGreaterThan(0);
    }
  });

  it('times the cold start embedded and on PostgreSQL', () => {
    if (!available) return;
    const figures = results.get('cold-start')?.figures as { embeddedMs: number; postgresMs: number };
    expect(figures.embeddedMs).toBeGreaterThan(0);
    expect(figures.postgresMs).toBeGreaterThan(0);
  });

  it('summarizes the run in RESULTS.md with every row of every benchmark', async () => {
    if (!available) return;
    const summary = await readFile(path.join(outDir as string, 'RESULTS.md'), 'utf8');
    expect(summary).toContain('BENCH_QUICK=1');
    expect(summary).toContain(`Node.js ${process.version}`);
    for (const result of results.values()) {
      for (const row of result.rows) expect(summary).toContain(row.what);
    }
  });
});
