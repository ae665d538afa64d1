import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BENCHMARKS } from '../../bench/names';
import { sharedServicesAvailable } from '../support/shared-services';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');

/** The bench empties its database: never the tests' own, so it gets one named after it. */
function benchDatabaseUrl(): string {
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
  url.pathname = `${url.pathname}_bench_quick`;
  return url.href;
}

interface Delivery {
  sent: number;
  failed: number;
  delivered: number;
  lost: number;
  duplicates: number;
  latencyMs: Record<string, { p50: number; p99: number }>;
}

interface Throughput extends Delivery {
  messagesPerSecond: number;
}

/** Every message stored reached every socket of its receiver once. */
function expectWhole(side: Delivery): void {
  expect(side.sent).toBeGreaterThan(0);
  expect(side.delivered).toBe(side.sent);
  expect([side.lost, side.failed, side.duplicates]).toEqual([0, 0, 0]);
}

interface ResultFile {
  name: string;
  machine: { cpus: number; node: string };
  sizes: {
    quick: boolean;
    memoryLevels: number[];
    capacityRates: number[];
    burstReceivers: number[];
    burstCallReceivers: number;
    growthMessages: number[];
  };
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

  it('times both bulk marks on the server and their bare UPDATEs on the baseline, each run', () => {
    if (!available) return;
    const figures = results.get('bulk-marks')?.figures as {
      rows: number;
      project: Record<'messagesMs' | 'notificationsMs', number[]>;
      baseline: Record<'messagesMs' | 'notificationsMs', number[]>;
    };
    expect(figures.rows).toBeGreaterThan(0);
    for (const side of [figures.project, figures.baseline]) {
      for (const times of [side.messagesMs, side.notificationsMs]) {
        expect(times.length).toBeGreaterThan(0);
        for (const ms of times) expect(ms).toBeGreaterThan(0);
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
      expectWhole(project);
      expectWhole(baseline);
      expect(Object.keys(project.latencyMs).sort()).toEqual(['graphql-ws', 'pusher-js']);
      expect(Object.keys(baseline.latencyMs)).toEqual(['ws']);
    }
  });

  it('delivers each notification burst to every receiver once, in calls of the API limit, and on the baseline', () => {
    if (!available) return;
    const result = results.get('notification-burst') as ResultFile;
    const figures = result.figures as Record<
      string,
      Record<
        'project' | 'baseline',
        { receivers: number; calls: number; delivered: number; lost: number; duplicates: number }
      >
    >;
    const sizes = result.sizes.burstReceivers;
    expect(Object.keys(figures).sort()).toEqual(sizes.map((n) => `to${n}`).sort());
    for (const size of sizes) {
      for (const side of Object.values(figures[`to${size}`])) {
        expect(side.receivers).toBe(size);
        expect(side.calls).toBe(Math.ceil(size / result.sizes.burstCallReceivers));
        expect([side.delivered, side.lost, side.duplicates]).toEqual([size, 0, 0]);
      }
    }
    // More receivers than one call takes, and than are subscribed for the other benchmarks.
    expect(Math.max(...sizes)).toBeGreaterThan(result.sizes.burstCallReceivers);
  });

  it('delivers every hot-conversation message to both sockets of the one receiver once, and on the baseline', () => {
    if (!available) return;
    const figures = results.get('hot-conversation')?.figures as {
      receiverSockets: number;
      project: Throughput;
      baseline: Throughput;
    };
    expect(figures.receiverSockets).toBe(2);
    for (const side of [figures.project, figures.baseline]) {
      expectWhole(side);
      expect(side.messagesPerSecond).toBeGreaterThan(0);
    }
    expect(Object.keys(figures.project.latencyMs).sort()).toEqual(['graphql-ws', 'pusher-js']);
  });

  it('climbs the capacity steps in order on the server and the baseline, up to the first failed step', () => {
    if (!available) return;
    const result = results.get('capacity') as ResultFile;
    const figures = result.figures as Record<
      'project' | 'baseline',
      { capacity: number; steps: Record<string, Throughput> }
    >;
    const rates = result.sizes.capacityRates;
    for (const side of [figures.project, figures.baseline]) {
      const run = Object.keys(side.steps).map(Number);
      expect(run).toEqual(rates.slice(0, run.length));
      expect(run.length).toBeGreaterThan(0);
      // The capacity is the step before the first failure, or the last step when none failed.
      const passed = run.length === rates.length && side.capacity === rates.at(-1);
      expect(passed || side.capacity === (run.length > 1 ? run[run.length - 2] : 0)).toBe(true);
      for (const step of Object.values(side.steps)) expect(step.sent).toBeGreaterThan(0);
    }
  });

  it('measures growth at each table size, with p99 and CPU per message on both sides and nothing lost', () => {
    if (!available) return;
    const result = results.get('growth') as ResultFile;
    const figures = result.figures as {
      phases: {
        messages: number;
        project: Throughput & { p99Ms: number; cpuMsPerMessage: number };
        baseline: Throughput & { p99Ms: number; cpuMsPerMessage: number };
      }[];
    };
    expect(figures.phases.map((phase) => phase.messages)).toEqual(result.sizes.growthMessages);
    for (const phase of figures.phases) {
      for (const side of [phase.project, phase.baseline]) {
        expectWhole(side);
        expect(side.p99Ms).toBeGreaterThan(0);
        expect(side.cpuMsPerMessage).toBeGreaterThanOrEqual(0);
      }
      // /proc counts in 10 ms ticks: the bare baseline's few quick messages may fit in one, the server's do not.
      expect(phase.project.cpuMsPerMessage).toBeGreaterThan(0);
    }
  });

  it('counts the statements and round trips per message on the server and the baseline', () => {
    if (!available) return;
    const figures = results.get('statements')?.figures as Record<
      'project' | 'baseline',
      { sent: number; lost: number; statements: number; roundTrips: number }
    >;
    for (const side of [figures.project, figures.baseline]) {
      expect(side.sent).toBeGreaterThan(0);
      expect(side.lost).toBe(0);
      expect(side.statements).toBeGreaterThan(0);
      expect(side.roundTrips).toBeGreaterThan(0);
    }
    // The bare baseline runs its auth query and its INSERT, one round trip each.
    expect(Math.round(figures.baseline.statements)).toBe(2);
  });

  it('delivers every write, on the server and on the baseline', () => {
    if (!available) return;
    const figures = results.get('writes')?.figures as Record<'project' | 'baseline', Throughput>;
    for (const side of [figures.project, figures.baseline]) {
      expectWhole(side);
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
