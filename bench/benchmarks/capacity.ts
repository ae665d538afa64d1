import { bareTarget, projectTarget, type RealtimeContext } from '../context';
import type { BenchUser } from '../dataset';
import { deliver, openLoop, pickReceiver, type Target, type Throughput, worstP99 } from '../load';
import { waitForIdle } from '../processes';
import { type BenchResult, fixed, type ResultRow } from '../result';
import { ratio } from '../stats';

interface Climb {
  /** The highest step passed: p99 under the limit, nothing lost or failed; 0 when the first step failed. */
  readonly capacity: number;
  /** Every step run, up to and including the first that failed. */
  readonly steps: Record<string, Throughput>;
}

/**
 * Open-loop steps of rising rate to random subscribed receivers, each step drained before the next; stops at the
 * first step that fails, since every later one would only queue deeper.
 */
async function climb(ctx: RealtimeContext, target: Target, pid: number, tag: string): Promise<Climb> {
  const { sizes, receivers } = ctx;
  const steps: Record<string, Throughput> = {};
  let capacity = 0;
  for (const rate of sizes.capacityRates) {
    const step = await deliver(target, {
      senders: ctx.data.users.slice(0, sizes.fanoutSenders),
      receiverFor: (sender: BenchUser) => pickReceiver(receivers, sender),
      load: openLoop(rate, sizes.capacitySeconds),
      drainMs: sizes.drainMs,
      tag: `${tag}-${rate}`,
    });
    steps[rate] = step;
    const passed =
      step.sent > 0 && step.lost === 0 && step.failed === 0 && worstP99(step) < sizes.capacityP99Ms;
    if (!passed) break;
    capacity = rate;
  }
  // A failed step may leave a backlog beyond its drain: let it clear before the other side or the next benchmark.
  await waitForIdle(pid, sizes.drainMs);
  return { capacity, steps };
}

/** The highest of the steps the project and the bare baseline each sustain with p99 under the limit and 0 lost. */
export async function capacityBenchmark(ctx: RealtimeContext): Promise<BenchResult> {
  const { sizes } = ctx;
  const tag = `capacity-${Date.now()}`;
  const project = await climb(ctx, projectTarget(ctx), ctx.server.child.pid as number, tag);
  const bare = await climb(ctx, bareTarget(ctx), ctx.bare.server.child.pid as number, `${tag}-bare`);
  const share = bare.capacity > 0 ? ratio(project.capacity, bare.capacity) : undefined;
  const limit = `p99 < ${sizes.capacityP99Ms} ms, 0 lost`;
  const rows: ResultRow[] = [
    {
      what: `capacity (${ctx.receivers.length} subscribers): highest messages/s with ${limit}`,
      project: String(project.capacity),
      baseline: String(bare.capacity),
      ratio: share,
      target: '>= 0.5x',
      met: share !== undefined && share >= 0.5,
    },
  ];
  const cell = (step: Throughput | undefined) =>
    step === undefined ? 'not run' : `${fixed(worstP99(step))} / ${step.lost} / ${step.failed}`;
  for (const rate of sizes.capacityRates) {
    if (project.steps[rate] === undefined && bare.steps[rate] === undefined) break;
    rows.push({
      what: `capacity step ${rate}/s: worst p99 ms / lost / failed`,
      project: cell(project.steps[rate]),
      baseline: cell(bare.steps[rate]),
      ratio: undefined,
      target: '',
      met: undefined,
    });
  }
  return { name: 'capacity', rows, figures: { project, baseline: bare } };
}
