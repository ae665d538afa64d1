import { bareTarget, projectTarget, type RealtimeContext } from '../context';
import type { BenchUser } from '../dataset';
import { closedLoopOf, deliver, pickReceiver } from '../load';
import { type BenchResult, type ResultRow } from '../result';
import { ratio } from '../stats';

/** N concurrent senders, each sending as fast as its answers come, for a fixed time; then every event drained. */
export async function writesBenchmark(ctx: RealtimeContext): Promise<BenchResult> {
  const { sizes, receivers } = ctx;
  const senders = ctx.data.users.slice(0, sizes.writeSenders);
  const run = {
    senders,
    receiverFor: (sender: BenchUser) => pickReceiver(receivers, sender),
    load: closedLoopOf(senders.length, sizes.writeSeconds),
    drainMs: sizes.drainMs,
  };
  const tag = `writes-${Date.now()}`;
  const project = await deliver(projectTarget(ctx), { ...run, tag });
  const bare = await deliver(bareTarget(ctx), { ...run, tag: `${tag}-bare` });
  const rate = ratio(project.messagesPerSecond, bare.messagesPerSecond);
  const rows: ResultRow[] = [
    {
      what: `writes (${senders.length} senders): messages/s delivered`,
      project: String(project.messagesPerSecond),
      baseline: String(bare.messagesPerSecond),
      ratio: rate,
      target: '>= 0.5x',
      met: rate >= 0.5 && project.lost === 0 && project.failed === 0,
    },
    {
      what: 'writes: sent / lost / failed',
      project: `${project.sent} / ${project.lost} / ${project.failed}`,
      baseline: `${bare.sent} / ${bare.lost} / ${bare.failed}`,
      ratio: undefined,
      target: 'every event delivered',
      met: project.lost === 0 && project.failed === 0 && project.sent > 0,
    },
  ];
  return { name: 'writes', rows, figures: { project, baseline: bare } };
}
