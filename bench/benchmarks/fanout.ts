import { bareTarget, projectTarget, type RealtimeContext } from '../context';
import type { BenchUser } from '../dataset';
import { type Delivery, deliver, openLoop, pickReceiver } from '../load';
import { type BenchResult, fixed, type ResultRow } from '../result';
import { ratio } from '../stats';

/**
 * sendMessage at fixed rates from a few senders to random subscribed receivers; request start to event arrival per
 * client kind, and events lost. Baseline: bare http + pg insert + ws send, with raw ws receivers.
 */
export async function fanoutBenchmark(ctx: RealtimeContext): Promise<BenchResult> {
  const { sizes, receivers } = ctx;
  const options = {
    senders: ctx.data.users.slice(0, sizes.fanoutSenders),
    receiverFor: (sender: BenchUser) => pickReceiver(receivers, sender),
    drainMs: sizes.drainMs,
  };
  const rows: ResultRow[] = [];
  const figures: Record<string, { project: Delivery; baseline: Delivery }> = {};
  for (const rate of sizes.fanoutRates) {
    const tag = `fanout-${rate}-${Date.now()}`;
    const run = { ...options, load: openLoop(rate, sizes.fanoutSeconds) };
    const project = await deliver(projectTarget(ctx), { ...run, tag });
    const bare = await deliver(bareTarget(ctx), { ...run, tag: `${tag}-bare` });
    figures[`${rate}PerSecond`] = { project, baseline: bare };
    const bareP99 = bare.latencyMs.ws?.p99 ?? NaN;
    for (const kind of ['graphql-ws', 'pusher-js'] as const) {
      const mine = project.latencyMs[kind];
      const p99 = ratio(mine?.p99 ?? NaN, bareP99);
      rows.push({
        what: `fan-out ${rate}/s ${kind}: p50 / p95 / p99 ms`,
        project: `${fixed(mine?.p50 ?? NaN)} / ${fixed(mine?.p95 ?? NaN)} / ${fixed(mine?.p99 ?? NaN)}`,
        baseline: `${fixed(bare.latencyMs.ws?.p50 ?? NaN)} / ${fixed(bare.latencyMs.ws?.p95 ?? NaN)} / ${fixed(bareP99)}`,
        ratio: p99,
        target: 'p99 <= 3x',
        met: p99 <= 3 && project.lost === 0 && project.failed === 0,
      });
    }
    rows.push({
      what: `fan-out ${rate}/s: sent / lost / failed`,
      project: `${project.sent} / ${project.lost} / ${project.failed}`,
      baseline: `${bare.sent} / ${bare.lost} / ${bare.failed}`,
      ratio: undefined,
      target: '0 lost',
      met: project.lost === 0 && project.failed === 0 && project.sent > 0,
    });
  }
  return { name: 'fanout', rows, figures };
}
