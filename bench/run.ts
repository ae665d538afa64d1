// `npm run bench`: every benchmark of issues 8 and 14 against the built server in production mode, each beside its bare
// baseline in the same run. BENCH_QUICK=1 for a few seconds with small sizes; BENCH_DATABASE_URL for the scratch
// database (emptied!); BENCH_OUT_DIR for where results/ and RESULTS.md go; BENCH_SERVER_NODE_ARGS for node options of
// the measured server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (not of the cold starts); BENCH_REDIS_URL for the
// Redis the statements benchmark counts commands on (default redis://127.0.0.1:6379; left out when unreachable).
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { bulkMarksBenchmark } from './benchmarks/bulk-marks';
import { capacityBenchmark } from './benchmarks/capacity';
import { coldStartBenchmark } from './benchmarks/cold-start';
import { fanoutBenchmark } from './benchmarks/fanout';
import { growthBenchmark } from './benchmarks/growth';
import { hotConversationBenchmark } from './benchmarks/hot-conversation';
import { memoryBenchmark } from './benchmarks/memory';
import { notificationBurstBenchmark } from './benchmarks/notification-burst';
import { readBenchmark } from './benchmarks/read';
import { statementsBenchmark } from './benchmarks/statements';
import { writesBenchmark } from './benchmarks/writes';
import { EventRouter, openSubscribers } from './clients';
import type { BenchContext, RealtimeContext } from './context';
import { resetBenchDatabase, seedDataSet } from './dataset';
import { BENCHMARKS, type BenchName, REALTIME } from './names';
import { freePort, killChildrenOnExit, ROOT, startBaseline, startServerProcess } from './processes';
import { describeMachine, printTable, writeResults } from './report';
import type { BenchResult } from './result';
import { BENCH_SECRETS, serverEnv } from './server-env';
import { benchSizes } from './sizes';

const step = (text: string) =>
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);

async function postgresVersion(databaseUrl: string): Promise<string> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    return (await db.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version;
  } finally {
    await db.end();
  }
}

/** BENCH_ONLY=read,memory runs a subset, e.g. while profiling one path; the default is every benchmark. */
function selected(): ReadonlySet<BenchName> {
  const only = (process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = only.filter((name) => !(BENCHMARKS as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new Error(`BENCH_ONLY: unknown ${unknown.join(', ')}; known: ${BENCHMARKS.join(', ')}`);
  return new Set(only.length === 0 ? BENCHMARKS : (only as BenchName[]));
}

/**
 * Runs the chosen benchmarks one after another. One that fails is reported as failed and the others still run, so a
 * limit tripped in one benchmark does not cost the whole run's figures; the run then exits 1.
 */
class Runner {
  readonly results: BenchResult[] = [];
  failed = false;

  constructor(readonly chosen: ReadonlySet<BenchName>) {}

  async run(name: BenchName, benchmark: () => Promise<BenchResult>): Promise<void> {
    if (!this.chosen.has(name)) return;
    step(name);
    try {
      this.results.push(await benchmark());
    } catch (error) {
      this.failed = true;
      console.error(`[bench] ${name} failed:`, error);
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      this.results.push({
        name,
        rows: [
          {
            what: `${name}: FAILED`,
            project: reason.slice(0, 120),
            baseline: '',
            ratio: undefined,
            target: '',
            met: false,
          },
        ],
        figures: { error: reason },
      });
    }
  }
}

/** The benchmarks that share one set of subscribers on the server and one on the bare baseline. */
async function realtimeBenchmarks(ctx: BenchContext, runner: Runner): Promise<void> {
  if (!REALTIME.some((name) => runner.chosen.has(name))) return;
  const receivers = ctx.data.users.slice(0, ctx.sizes.subscribers);
  const router = new EventRouter();
  step(
    `opening ${receivers.length} subscribers (graphql-ws and pusher-js), and as many on the bare baseline`,
  );
  const subscribers = await openSubscribers(ctx.server.url, receivers, router.onEvent, {
    kinds: ['graphql-ws', 'pusher-js'],
    notifications: true,
  });
  try {
    const bareServer = await startBaseline('message-server.ts', ctx.baselineEnv);
    try {
      const bareRouter = new EventRouter();
      const bareSubscribers = await openSubscribers(bareServer.url, receivers, bareRouter.onEvent, {
        kinds: ['ws'],
      });
      const realtime: RealtimeContext = {
        ...ctx,
        receivers,
        subscribers,
        router,
        bare: { server: bareServer, router: bareRouter, subscribers: bareSubscribers },
      };
      try {
        await runner.run('fanout', () => fanoutBenchmark(realtime));
        await runner.run('notification-burst', () => notificationBurstBenchmark(realtime));
        await runner.run('writes', () => writesBenchmark(realtime));
        await runner.run('hot-conversation', () => hotConversationBenchmark(realtime));
        await runner.run('capacity', () => capacityBenchmark(realtime));
        await runner.run('growth', () => growthBenchmark(realtime));
      } finally {
        await bareSubscribers.close();
      }
    } finally {
      await bareServer.stop();
    }
  } finally {
    await subscribers.close();
  }
}

async function main(): Promise<boolean> {
  killChildrenOnExit();
  const loadAtStart = os.loadavg();
  const sizes = benchSizes(process.env.BENCH_QUICK === '1');
  const runner = new Runner(selected());
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/bench';
  const outDir = path.resolve(
    process.env.BENCH_OUT_DIR ??
      (sizes.quick ? path.join(os.tmpdir(), 'jw-bench-quick') : path.join(ROOT, 'bench')),
  );
  if (!existsSync(path.join(ROOT, 'dist/src/main.js')))
    throw new Error('build first: npx tsc -p tsconfig.build.json');

  step(`emptying ${new URL(databaseUrl).pathname.slice(1)} and starting the server`);
  await resetBenchDatabase(databaseUrl);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-bench-'));
  const port = await freePort();
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const server = await startServerProcess(serverEnv({ port, databaseUrl, dataDir }), port, nodeArgs);
  const startFreshServer = async (
    extraNodeArgs: string[] = [],
    url = databaseUrl,
    extraEnv: NodeJS.ProcessEnv = {},
  ) => {
    const freshPort = await freePort();
    const env = { ...serverEnv({ port: freshPort, databaseUrl: url, dataDir }), ...extraEnv };
    return startServerProcess(env, freshPort, [...nodeArgs, ...extraNodeArgs]);
  };
  try {
    step(`seeding ${sizes.users} users and ${sizes.messages} messages`);
    const data = await seedDataSet(databaseUrl, sizes);
    const ctx: BenchContext = {
      sizes,
      server,
      startFreshServer,
      data,
      databaseUrl,
      baselineEnv: { DATABASE_URL: databaseUrl, JWT_SECRET: BENCH_SECRETS.JWT_SECRET },
    };
    await runner.run('read', () => readBenchmark(ctx));
    await runner.run('statements', () => statementsBenchmark(ctx));
    await runner.run('bulk-marks', () => bulkMarksBenchmark(ctx));
    await realtimeBenchmarks(ctx, runner);
    await runner.run('memory', () => memoryBenchmark(ctx));
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  await runner.run('cold-start', () => coldStartBenchmark(databaseUrl));

  const machine = await describeMachine(await postgresVersion(databaseUrl), loadAtStart);
  printTable(runner.results);
  await writeResults(outDir, runner.results, machine, sizes);
  step(`results in ${outDir}`);
  return !runner.failed;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
