import { performance } from 'node:perf_hooks';
import { type ClientKind, type EventRouter, openSubscribers } from '../clients';
import type { RealtimeContext, Side } from '../context';
import { type BenchUser, seedUsers } from '../dataset';
import { sleep } from '../processes';
import { type BenchResult, fixed, type ResultRow } from '../result';
import { type Percentiles, percentiles, ratio } from '../stats';

interface Burst {
  readonly receivers: number;
  readonly calls: number;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicates: number;
  /** From the first call's start until every call was answered. */
  readonly answeredMs: number;
  readonly lastArrivalMs: number;
  readonly arrivalMs: Percentiles;
}

/** Sends one burst of notifications with `post` for each chunk of receivers; resolves once the call answered. */
type PostBurst = (receiverIds: number[], title: string) => Promise<void>;

const projectPost =
  (url: string, admin: BenchUser): PostBurst =>
  async (receiverIds, title) => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
      body: JSON.stringify({
        query: 'mutation ($input: CreateNotificationInput!) { createNotification(input: $input) { id } }',
        variables: { input: { title, detail: 'A benchmark notice', receiverIds: receiverIds.map(String) } },
      }),
    });
    const body = (await res.json()) as { data?: { createNotification?: unknown[] } };
    if (body.data?.createNotification?.length !== receiverIds.length) {
      throw new Error(`burst: createNotification failed: ${JSON.stringify(body).slice(0, 500)}`);
    }
  };

const barePost =
  (url: string, admin: BenchUser): PostBurst =>
  async (receiverIds, title) => {
    const res = await fetch(`${url}/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
      body: JSON.stringify({ receiverIds, title, detail: 'A benchmark notice' }),
    });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`burst: the baseline answered ${res.status}`);
  };

/**
 * One burst to `receivers`, in calls of at most `perCall` sent at once (the API takes 1,000 receivers a call):
 * time from the first call's start until the last receiver has it. Each receiver holds one socket.
 */
async function burst(
  post: PostBurst,
  router: EventRouter,
  receivers: readonly BenchUser[],
  perCall: number,
  drainMs: number,
): Promise<Burst> {
  const title = `burst-${receivers.length}-${Date.now()}`;
  const arrivals: number[] = [];
  router.listener = (_kind, event, marker, at) => {
    if (event === 'notification' && marker === title) arrivals.push(at);
  };
  try {
    const ids = receivers.map((u) => u.id);
    const chunks = Array.from({ length: Math.ceil(ids.length / perCall) }, (_, i) =>
      ids.slice(i * perCall, (i + 1) * perCall),
    );
    const started = performance.now();
    await Promise.all(chunks.map((chunk) => post(chunk, title)));
    const answeredMs = performance.now() - started;
    const deadline = Date.now() + drainMs;
    while (arrivals.length < ids.length && Date.now() < deadline) await sleep(10);
    const latencies = arrivals.map((at) => at - started);
    const round = (ms: number) => Math.round(ms * 10) / 10;
    return {
      receivers: ids.length,
      calls: chunks.length,
      delivered: Math.min(arrivals.length, ids.length),
      lost: Math.max(0, ids.length - arrivals.length),
      duplicates: Math.max(0, arrivals.length - ids.length),
      answeredMs: round(answeredMs),
      lastArrivalMs: round(Math.max(...latencies)),
      arrivalMs: percentiles(latencies),
    };
  } finally {
    router.listener = undefined;
  }
}

/**
 * One admin createNotification to each size of `burstReceivers` users, every one subscribed (the shared
 * subscribers, plus users seeded and subscribed here beyond them); baseline: one INSERT of all rows and a ws push
 * to each receiver, with the calls split the same way.
 */
export async function notificationBurstBenchmark(ctx: RealtimeContext): Promise<BenchResult> {
  const { sizes } = ctx;
  const most = Math.max(...sizes.burstReceivers);
  const users =
    ctx.data.users.length >= most
      ? ctx.data.users
      : [
          ...ctx.data.users,
          ...(await seedUsers(ctx.databaseUrl, ctx.data.users.length, most - ctx.data.users.length)),
        ];
  const beyond = users.slice(ctx.receivers.length, most);
  // One side at a time, with the users beyond the shared subscribers subscribed for that side only: the bench
  // process's descriptors (ulimit -n is 20,000 on the bench machine) would not hold both sides' extra sockets.
  const everySize = async (side: Side, post: PostBurst, kinds: ClientKind[]) => {
    const extra = await openSubscribers(side.server.url, beyond, side.router.onEvent, {
      kinds,
      notifications: true,
    });
    try {
      const bursts = new Map<number, Burst>();
      for (const size of sizes.burstReceivers) {
        const receivers = users.slice(0, size);
        bursts.set(size, await burst(post, side.router, receivers, sizes.burstCallReceivers, sizes.drainMs));
      }
      return bursts;
    } finally {
      await extra.close();
    }
  };
  const projectSide = { server: ctx.server, router: ctx.router, subscribers: ctx.subscribers };
  const projectBursts = await everySize(projectSide, projectPost(ctx.server.url, ctx.data.admin), [
    'graphql-ws',
    'pusher-js',
  ]);
  const bareBursts = await everySize(ctx.bare, barePost(ctx.bare.server.url, ctx.data.admin), ['ws']);
  const rows: ResultRow[] = [];
  const figures: Record<string, { project: Burst; baseline: Burst }> = {};
  for (const size of sizes.burstReceivers) {
    const project = projectBursts.get(size) as Burst;
    const baseline = bareBursts.get(size) as Burst;
    figures[`to${size}`] = { project, baseline };
    // The target is for 1,000 receivers; larger bursts are held to losing nothing.
    const timed = size <= 1_000;
    rows.push({
      what: `notification burst to ${size} (${project.calls} calls): answer / last arrival ms`,
      project: `${fixed(project.answeredMs)} / ${fixed(project.lastArrivalMs)}`,
      baseline: `${fixed(baseline.answeredMs)} / ${fixed(baseline.lastArrivalMs)}`,
      ratio: ratio(project.lastArrivalMs, baseline.lastArrivalMs),
      target: timed ? 'last < 500 ms, 0 lost' : '0 lost',
      met: project.lost === 0 && project.duplicates === 0 && (!timed || project.lastArrivalMs < 500),
    });
    rows.push({
      what: `notification burst to ${size}: delivered / lost / duplicates`,
      project: `${project.delivered} / ${project.lost} / ${project.duplicates}`,
      baseline: `${baseline.delivered} / ${baseline.lost} / ${baseline.duplicates}`,
      ratio: undefined,
      target: 'every one once',
      met: project.lost === 0 && project.duplicates === 0,
    });
  }
  return { name: 'notification-burst', rows, figures };
}
