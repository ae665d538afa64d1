import { bareTarget, projectTarget, type RealtimeContext } from '../context';
import { shapeMessages } from '../dataset';
import { deliver, type LoadRun, openLoop, type Target, type Throughput, worstP99 } from '../load';
import { cpuMsOf, postgresCpuMs, waitForIdle } from '../processes';
import { type BenchResult, fixed, type ResultRow } from '../result';
import { ratio } from '../stats';

interface Sample extends Throughput {
  /** Request start to arrival, the worse client kind's. */
  readonly p99Ms: number;
  /** The server process's CPU time (user + system) over the run, from /proc, per message sent. */
  readonly cpuMsPerMessage: number;
  /** PostgreSQL's CPU time (every process of it) over the same run, per message sent. */
  readonly postgresCpuMsPerMessage: number;
}

interface Phase {
  readonly messages: number;
  readonly project: Sample;
  readonly baseline: Sample;
}

async function measure(target: Target, pid: number, run: LoadRun): Promise<Sample> {
  await waitForIdle(pid, run.drainMs);
  const before = await cpuMsOf(pid);
  const postgresBefore = await postgresCpuMs();
  const delivery = await deliver(target, run);
  const cpuMs = (await cpuMsOf(pid)) - before;
  const postgresMs = (await postgresCpuMs()) - postgresBefore;
  const perMessage = (ms: number) =>
    delivery.sent > 0 ? Math.round((ms / delivery.sent) * 1000) / 1000 : NaN;
  return {
    ...delivery,
    p99Ms: worstP99(delivery),
    cpuMsPerMessage: perMessage(cpuMs),
    postgresCpuMsPerMessage: perMessage(postgresMs),
  };
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * The same open-loop load to a few receivers, each with the same unseen messages, once with each table size of
 * `growthMessages` (seeded in SQL): p99 and CPU per message should not follow the table's size.
 */
export async function growthBenchmark(ctx: RealtimeContext): Promise<BenchResult> {
  const { sizes } = ctx;
  const measured = ctx.receivers.slice(-sizes.growthReceivers);
  const measuredIds = measured.map((u) => u.id);
  const senders = ctx.data.users.slice(0, sizes.fanoutSenders).filter((u) => !measuredIds.includes(u.id));
  const others = ctx.data.users.map((u) => u.id).filter((id) => !measuredIds.includes(id));
  const phases: Phase[] = [];
  for (const total of sizes.growthMessages) {
    const messages = await shapeMessages(ctx.databaseUrl, {
      total,
      measured: measuredIds,
      unseen: sizes.growthUnseen,
      others,
    });
    const run = (tag: string): LoadRun => ({
      senders,
      receiverFor: () => measured[Math.floor(Math.random() * measured.length)],
      load: openLoop(sizes.growthRate, sizes.growthSeconds),
      drainMs: sizes.drainMs,
      tag,
    });
    const tag = `growth-${total}-${Date.now()}`;
    const project = await measure(projectTarget(ctx), ctx.server.child.pid as number, run(tag));
    const baseline = await measure(bareTarget(ctx), ctx.bare.server.child.pid as number, run(`${tag}-bare`));
    phases.push({ messages, project, baseline });
  }
  const [small, large] = [phases[0], phases[phases.length - 1]];
  const at = `${count(small.messages)} / ${count(large.messages)} messages`;
  const pair = (
    side: 'project' | 'baseline',
    figure: 'p99Ms' | 'cpuMsPerMessage' | 'postgresCpuMsPerMessage',
    digits: number,
  ) => `${fixed(small[side][figure], digits)} / ${fixed(large[side][figure], digits)}`;
  const growth = (figure: 'p99Ms' | 'cpuMsPerMessage') => ratio(large.project[figure], small.project[figure]);
  const whole = (phase: Phase) => phase.project.lost === 0 && phase.project.failed === 0;
  const rows: ResultRow[] = [
    {
      what: `growth p99 ms at ${at} (ratio: the project's growth)`,
      project: pair('project', 'p99Ms', 1),
      baseline: pair('baseline', 'p99Ms', 1),
      ratio: growth('p99Ms'),
      target: 'growth <= 1.5x',
      met: growth('p99Ms') <= 1.5 && phases.every(whole),
    },
    {
      what: `growth server CPU ms per message at ${at} (ratio: the project's growth)`,
      project: pair('project', 'cpuMsPerMessage', 2),
      baseline: pair('baseline', 'cpuMsPerMessage', 2),
      ratio: growth('cpuMsPerMessage'),
      target: 'growth <= 1.5x',
      met: growth('cpuMsPerMessage') <= 1.5,
    },
    {
      what: `growth PostgreSQL CPU ms per message at ${at} (all its processes; ratio: the project's growth)`,
      project: pair('project', 'postgresCpuMsPerMessage', 2),
      baseline: pair('baseline', 'postgresCpuMsPerMessage', 2),
      ratio: ratio(large.project.postgresCpuMsPerMessage, small.project.postgresCpuMsPerMessage),
      target: '',
      met: undefined,
    },
    {
      what: `growth: sent / lost / failed at ${at}`,
      project: phases.map((p) => `${p.project.sent} / ${p.project.lost} / ${p.project.failed}`).join('; '),
      baseline: phases
        .map((p) => `${p.baseline.sent} / ${p.baseline.lost} / ${p.baseline.failed}`)
        .join('; '),
      ratio: undefined,
      target: '0 lost',
      met: phases.every(whole),
    },
  ];
  return {
    name: 'growth',
    rows,
    figures: {
      receivers: measuredIds.length,
      unseenPerReceiver: sizes.growthUnseen,
      ratePerSecond: sizes.growthRate,
      phases,
    },
  };
}
