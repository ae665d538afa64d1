import { performance } from 'node:perf_hooks';
import { type ClientKind, EventRouter, openSubscribers, type Subscribers } from '../clients';
import type { RealtimeContext } from '../context';
import type { BenchUser } from '../dataset';
import {
  baselineSender,
  closedLoop,
  DeliveryTracker,
  graphqlSender,
  pickReceiver,
  type SendMessage,
} from '../load';
import { startBaseline } from '../processes';
import { type BenchResult, type ResultRow } from '../result';
import { ratio } from '../stats';

interface WriteFigures {
  readonly sent: number;
  readonly failed: number;
  readonly delivered: number;
  readonly lost: number;
  /** Messages stored and delivered per second, from the first request to the last event's arrival. */
  readonly messagesPerSecond: number;
  readonly seconds: number;
}

async function run(
  send: SendMessage,
  router: EventRouter,
  subscribers: Subscribers,
  receivers: readonly BenchUser[],
  senders: readonly BenchUser[],
  options: { seconds: number; drainMs: number; tag: string },
): Promise<WriteFigures> {
  const tracker = new DeliveryTracker();
  router.listener = tracker.onEvent;
  try {
    const started = performance.now();
    await closedLoop(senders.length, options.seconds, (worker, i) => {
      const sender = senders[worker];
      const receiver = pickReceiver(receivers, sender);
      const kind = subscribers.kinds.get(receiver.id) as ClientKind;
      return tracker.send(send, sender, receiver.id, kind, `${options.tag}-${i}`);
    });
    await tracker.drain(options.drainMs);
    const delivery = tracker.result();
    const seconds = (Math.max(tracker.lastArrival, started) - started) / 1000;
    return {
      sent: delivery.sent,
      failed: delivery.failed,
      delivered: delivery.delivered,
      lost: delivery.lost,
      messagesPerSecond: Math.round(delivery.delivered / seconds),
      seconds: Math.round(seconds * 100) / 100,
    };
  } finally {
    router.listener = undefined;
  }
}

/** N concurrent senders, each sending as fast as its answers come, for a fixed time; then every event drained. */
export async function writesBenchmark(ctx: RealtimeContext): Promise<BenchResult> {
  const { sizes, receivers } = ctx;
  const senders = ctx.data.users.slice(0, sizes.writeSenders);
  const options = { seconds: sizes.writeSeconds, drainMs: sizes.drainMs };
  const tag = `writes-${Date.now()}`;
  const project = await run(graphqlSender(ctx.server.url), ctx.router, ctx.subscribers, receivers, senders, {
    ...options,
    tag,
  });
  const baseline = await startBaseline('message-server.ts', ctx.baselineEnv);
  let bare: WriteFigures;
  try {
    const router = new EventRouter();
    const subscribers = await openSubscribers(baseline.url, receivers, router.onEvent, { kinds: ['ws'] });
    try {
      bare = await run(baselineSender(baseline.url), router, subscribers, receivers, senders, {
        ...options,
        tag: `${tag}-bare`,
      });
    } finally {
      await subscribers.close();
    }
  } finally {
    await baseline.stop();
  }
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
