import { type ClientKind, EventRouter, openSubscribers, type Subscribers } from '../clients';
import type { RealtimeContext } from '../context';
import type { BenchUser } from '../dataset';
import {
  baselineSender,
  type Delivery,
  DeliveryTracker,
  graphqlSender,
  paced,
  pickReceiver,
  type SendMessage,
} from '../load';
import { startBaseline } from '../processes';
import { type BenchResult, fixed, type ResultRow } from '../result';
import { ratio } from '../stats';

async function run(
  send: SendMessage,
  router: EventRouter,
  subscribers: Subscribers,
  receivers: readonly BenchUser[],
  senders: readonly BenchUser[],
  rate: number,
  options: { seconds: number; drainMs: number; tag: string },
): Promise<Delivery> {
  const tracker = new DeliveryTracker();
  router.listener = tracker.onEvent;
  try {
    await paced(rate, options.seconds, (i) => {
      const sender = senders[i % senders.length];
      const receiver = pickReceiver(receivers, sender);
      const kind = subscribers.kinds.get(receiver.id) as ClientKind;
      return tracker.send(send, sender, receiver.id, kind, `${options.tag}-${i}`);
    });
    await tracker.drain(options.drainMs);
    return tracker.result();
  } finally {
    router.listener = undefined;
  }
}

/**
 * sendMessage at fixed rates from a few senders to random subscribed receivers; request start to event arrival per
 * client kind, and events lost. Baseline: bare http + pg insert + ws send, with raw ws receivers.
 */
export async function fanoutBenchmark(ctx: RealtimeContext): Promise<BenchResult> {
  const { sizes, receivers } = ctx;
  const senders = ctx.data.users.slice(0, sizes.fanoutSenders);
  const options = { seconds: sizes.fanoutSeconds, drainMs: sizes.drainMs };
  const baseline = await startBaseline('message-server.ts', ctx.baselineEnv);
  const baselineRouter = new EventRouter();
  const rows: ResultRow[] = [];
  const figures: Record<string, { project: Delivery; baseline: Delivery }> = {};
  try {
    const bareSubscribers = await openSubscribers(baseline.url, receivers, baselineRouter.onEvent, {
      kinds: ['ws'],
    });
    try {
      for (const rate of sizes.fanoutRates) {
        const tag = `fanout-${rate}-${Date.now()}`;
        const project = await run(
          graphqlSender(ctx.server.url),
          ctx.router,
          ctx.subscribers,
          receivers,
          senders,
          rate,
          {
            ...options,
            tag,
          },
        );
        const bare = await run(
          baselineSender(baseline.url),
          baselineRouter,
          bareSubscribers,
          receivers,
          senders,
          rate,
          {
            ...options,
            tag: `${tag}-bare`,
          },
        );
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
    } finally {
      await bareSubscribers.close();
    }
  } finally {
    await baseline.stop();
  }
  return { name: 'fanout', rows, figures };
}
