import { performance } from 'node:perf_hooks';
import type { RealtimeContext } from '../context';
import { sleep } from '../processes';
import { type BenchResult, fixed } from '../result';
import { percentiles } from '../stats';

/** One admin createNotification to every subscribed user; time from request start until the last has it. */
export async function notificationBurstBenchmark(ctx: RealtimeContext): Promise<BenchResult> {
  const title = `burst-${Date.now()}`;
  const arrivals: number[] = [];
  ctx.router.listener = (_kind, event, marker, at) => {
    if (event === 'notification' && marker === title) arrivals.push(at);
  };
  const expected = ctx.receivers.length;
  try {
    const started = performance.now();
    const res = await fetch(`${ctx.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.data.admin.token}` },
      body: JSON.stringify({
        query: 'mutation ($input: CreateNotificationInput!) { createNotification(input: $input) { id } }',
        variables: {
          input: { title, detail: 'A benchmark notice', receiverIds: ctx.receivers.map((u) => String(u.id)) },
        },
      }),
    });
    const body = (await res.json()) as { data?: { createNotification?: unknown[] }; errors?: unknown };
    const answeredMs = performance.now() - started;
    if (body.data?.createNotification?.length !== expected) {
      throw new Error(`burst: createNotification failed: ${JSON.stringify(body).slice(0, 500)}`);
    }
    const deadline = Date.now() + ctx.sizes.drainMs;
    while (arrivals.length < expected && Date.now() < deadline) await sleep(10);
    const latencies = arrivals.map((at) => at - started);
    const lastMs = Math.max(...latencies);
    const figures = {
      receivers: expected,
      delivered: Math.min(arrivals.length, expected),
      lost: Math.max(0, expected - arrivals.length),
      answeredMs: Math.round(answeredMs * 10) / 10,
      lastArrivalMs: Math.round(lastMs * 10) / 10,
      arrivalMs: percentiles(latencies),
    };
    return {
      name: 'notification-burst',
      rows: [
        {
          what: `notification burst to ${expected}: answer / last arrival ms`,
          project: `${fixed(figures.answeredMs)} / ${fixed(figures.lastArrivalMs)}`,
          baseline: 'none',
          ratio: undefined,
          target: '0 lost',
          met: figures.lost === 0,
        },
      ],
      figures,
    };
  } finally {
    ctx.router.listener = undefined;
  }
}
