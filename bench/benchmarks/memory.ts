import { openSubscribers, type ClientKind } from '../clients';
import type { BenchContext } from '../context';
import type { BenchUser } from '../dataset';
import { collectGarbage, INSPECT_ARG, rssOf, sleep, startBaseline, type Started } from '../processes';
import { type BenchResult, fixed, type ResultRow } from '../result';
import { ratio } from '../stats';

interface Sample {
  readonly connections: number;
  readonly rssBytes: number;
  /** From the server's /metrics (prom-client's default metrics) when it has them. */
  readonly heapUsedBytes: number | undefined;
}

async function heapUsed(url: string): Promise<number | undefined> {
  const res = await fetch(`${url}/metrics`).catch(() => undefined);
  if (!res?.ok) return undefined;
  const value = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/m.exec(await res.text())?.[1];
  return value === undefined ? undefined : Number(value);
}

/** Users repeated as needed: more connections than users means several sockets per user, as with several tabs. */
const usersFor = (users: readonly BenchUser[], count: number) =>
  Array.from({ length: count }, (_, i) => users[i % users.length]);

async function sample(target: Started, connections: number): Promise<Sample> {
  // A full collection first, so the figure is what the idle sockets hold, not the handshakes' garbage.
  await collectGarbage(target);
  await sleep(1_000);
  const pid = target.child.pid as number;
  return { connections, rssBytes: await rssOf(pid), heapUsedBytes: await heapUsed(target.url) };
}

async function measure(
  target: Started,
  kind: ClientKind,
  users: readonly BenchUser[],
  levels: readonly number[],
) {
  // One round of connections first, so pools, buffers and lazily loaded code count in the level-0 figure and not
  // as the first connections' cost, for the server and the baseline alike.
  const warmUp = await openSubscribers(
    target.url,
    usersFor(users, Math.min(100, Math.max(...levels))),
    () => undefined,
    {
      kinds: [kind],
      batch: 100,
    },
  );
  await warmUp.close();
  await sleep(500);
  const samples: Sample[] = [];
  for (const level of levels) {
    if (level === 0) {
      samples.push(await sample(target, 0));
      continue;
    }
    const subscribers = await openSubscribers(target.url, usersFor(users, level), () => undefined, {
      kinds: [kind],
      batch: 100,
    });
    try {
      samples.push(await sample(target, level));
    } finally {
      await subscribers.close();
    }
    await sleep(500);
  }
  return samples;
}

/** RSS growth per connection from the first level (no connection) to `sample`, in KiB. */
const growthKib = (samples: readonly Sample[], sample: Sample) =>
  (sample.rssBytes - samples[0].rssBytes) / (sample.connections - samples[0].connections) / 1024;

/** Per connection at the most connections, where the fixed costs weigh least. */
const perConnectionKib = (samples: readonly Sample[]) => growthKib(samples, samples[samples.length - 1]);

/** Per connection at every level after the first, for the JSON. */
const perLevelKib = (samples: readonly Sample[]) =>
  Object.fromEntries(
    samples.slice(1).map((s) => [s.connections, Math.round(growthKib(samples, s) * 10) / 10]),
  );

/** Server RSS (and heap, when /metrics has it) at growing numbers of idle subscribed sockets, per client kind. */
export async function memoryBenchmark(ctx: BenchContext): Promise<BenchResult> {
  const levels = ctx.sizes.memoryLevels;
  const users = ctx.data.users;
  // Each kind on a server of its own that has served nothing else: the heap left by the earlier benchmarks (or by
  // the other kind) would otherwise shrink or swell the figures.
  const measureFresh = async (kind: ClientKind) => {
    const fresh = await ctx.startFreshServer([INSPECT_ARG]);
    try {
      return await measure(fresh, kind, users, levels);
    } finally {
      await fresh.stop();
    }
  };
  const project = {
    'graphql-ws': await measureFresh('graphql-ws'),
    'pusher-js': await measureFresh('pusher-js'),
  };
  const baselineServer = await startBaseline('message-server.ts', ctx.baselineEnv, [INSPECT_ARG]);
  let baseline: Sample[];
  try {
    baseline = await measure(baselineServer, 'ws', users, levels);
  } finally {
    await baselineServer.stop();
  }
  const bareKib = perConnectionKib(baseline);
  const rows: ResultRow[] = (['graphql-ws', 'pusher-js'] as const).map((kind) => {
    const kib = perConnectionKib(project[kind]);
    const r = ratio(kib, bareKib);
    const mib = (bytes: number) => fixed(bytes / 2 ** 20, 0);
    return {
      what: `memory ${kind}: KiB/conn (RSS MiB at ${levels.join('/')})`,
      project: `${fixed(kib)} (${project[kind].map((s) => mib(s.rssBytes)).join('/')})`,
      baseline: `${fixed(bareKib)} (${baseline.map((s) => mib(s.rssBytes)).join('/')})`,
      ratio: r,
      target: '<= 1.5x',
      met: r <= 1.5,
    };
  });
  const perConnection = {
    'graphql-ws': perLevelKib(project['graphql-ws']),
    'pusher-js': perLevelKib(project['pusher-js']),
    ws: perLevelKib(baseline),
  };
  return { name: 'memory', rows, figures: { levels, project, baseline, perConnectionKib: perConnection } };
}
