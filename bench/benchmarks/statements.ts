import { performance } from 'node:perf_hooks';
import { EventRouter, openSubscribers } from '../clients';
import type { BenchContext } from '../context';
import type { BenchUser } from '../dataset';
import {
  baselineSender,
  deliver,
  graphqlSender,
  oneByOne,
  pickReceiver,
  type SendMessage,
  targetOf,
} from '../load';
import { sleep, startBaseline, type Started } from '../processes';
import { type BenchResult, fixed, type ResultRow } from '../result';
import { RedisCounter, redisReachable } from '../redis-counter';
import { StatementCounter, type StatementCounts } from '../statement-counter';
import { ratio } from '../stats';

interface PerMessage {
  readonly sent: number;
  readonly lost: number;
  /** Per message, the idle rate taken off: sendMessage, its delivery and whatever else the message caused. */
  readonly statements: number;
  readonly roundTrips: number;
  /** What the process runs a second with nothing to do (polls, leases, heartbeats). */
  readonly idleStatementsPerSecond: number;
  /** With a Redis counted: its commands per message (idle rate taken off), by command name, and a second idle. */
  readonly redis?: {
    readonly commands: number;
    readonly byCommand: Record<string, number>;
    readonly idleCommandsPerSecond: number;
  };
}

/** After start-up, and after the last arrival for work that follows a delivery (marking it delivered). */
const SETTLE_MS = 500;

/**
 * Counts on the wire what one process asks PostgreSQL for while `sizes.statementMessages` messages go one by one to
 * subscribed receivers: the process is started with its database URL pointing at a counting proxy.
 */
async function countPerMessage(
  ctx: BenchContext,
  start: (databaseUrl: string) => Promise<Started>,
  sender: (url: string) => SendMessage,
  kinds: Parameters<typeof openSubscribers>[3]['kinds'],
  redis?: RedisCounter,
): Promise<PerMessage> {
  const users = ctx.data.users;
  const receivers = users.slice(-10);
  const senders = users.slice(0, 5);
  const counter = await StatementCounter.start(ctx.databaseUrl);
  try {
    const target = await start(counter.url);
    try {
      const router = new EventRouter();
      const subscribers = await openSubscribers(target.url, receivers, router.onEvent, { kinds });
      try {
        await sleep(SETTLE_MS);
        const idleFrom = counter.counts();
        const redisIdleFrom = redis?.counts().total ?? 0;
        await sleep(ctx.sizes.statementIdleMs);
        const loadFrom = counter.counts();
        const redisFrom = redis?.counts();
        const started = performance.now();
        const delivery = await deliver(targetOf(sender(target.url), router, subscribers), {
          senders,
          receiverFor: (user: BenchUser) => pickReceiver(receivers, user),
          load: oneByOne(ctx.sizes.statementMessages),
          drainMs: ctx.sizes.drainMs,
          tag: `statements-${Date.now()}`,
        });
        await sleep(SETTLE_MS);
        const loadTo = counter.counts();
        const redisTo = redis?.counts();
        const loadMs = performance.now() - started;
        const idle = (key: keyof StatementCounts) =>
          (loadFrom[key] - idleFrom[key]) / ctx.sizes.statementIdleMs;
        const perMessage = (key: keyof StatementCounts) =>
          Math.round(((loadTo[key] - loadFrom[key] - idle(key) * loadMs) / delivery.sent) * 100) / 100;
        return {
          sent: delivery.sent,
          lost: delivery.lost,
          statements: perMessage('statements'),
          roundTrips: perMessage('roundTrips'),
          idleStatementsPerSecond: Math.round(idle('statements') * 1000 * 10) / 10,
          redis:
            redisFrom && redisTo
              ? redisPerMessage(
                  redisIdleFrom,
                  redisFrom,
                  redisTo,
                  ctx.sizes.statementIdleMs,
                  loadMs,
                  delivery.sent,
                )
              : undefined,
        };
      } finally {
        await subscribers.close();
      }
    } finally {
      await target.stop();
    }
  } finally {
    await counter.close();
  }
}

type RedisCounts = ReturnType<RedisCounter['counts']>;

function redisPerMessage(
  idleFrom: number,
  from: RedisCounts,
  to: RedisCounts,
  idleMs: number,
  loadMs: number,
  sent: number,
): PerMessage['redis'] {
  const idlePerMs = (from.total - idleFrom) / idleMs;
  const byCommand: Record<string, number> = {};
  for (const [name, n] of Object.entries(to.byCommand)) {
    const per = (n - (from.byCommand[name] ?? 0)) / sent;
    if (per >= 0.005) byCommand[name] = Math.round(per * 100) / 100;
  }
  return {
    commands: Math.round(((to.total - from.total - idlePerMs * loadMs) / sent) * 100) / 100,
    byCommand,
    idleCommandsPerSecond: Math.round(idlePerMs * 1000 * 10) / 10,
  };
}

/**
 * Statements and round trips to PostgreSQL per message (sendMessage and its delivery to a graphql-ws or pusher-js
 * receiver), on a fresh server behind a counting proxy, beside the bare baseline's (its auth query and its INSERT).
 */
export async function statementsBenchmark(ctx: BenchContext): Promise<BenchResult> {
  const project = await countPerMessage(ctx, (url) => ctx.startFreshServer([], url), graphqlSender, [
    'graphql-ws',
    'pusher-js',
  ]);
  const baseline = await countPerMessage(
    ctx,
    (url) => startBaseline('message-server.ts', { ...ctx.baselineEnv, DATABASE_URL: url }),
    baselineSender,
    ['ws'],
  );
  // Again with Redis (several instances' setting: shared throttles, typing state and wake-ups), counting its commands.
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  let withRedis: PerMessage | undefined;
  if (await redisReachable(redisUrl)) {
    const prefix = `jw-bench-${Date.now()}:`;
    const redis = await RedisCounter.start(redisUrl, prefix);
    try {
      withRedis = await countPerMessage(
        ctx,
        (url) => ctx.startFreshServer([], url, { REDIS_URL: redisUrl, REDIS_PREFIX: prefix }),
        graphqlSender,
        ['graphql-ws', 'pusher-js'],
        redis,
      );
    } finally {
      redis.close();
    }
  }
  const row = (key: 'statements' | 'roundTrips', label: string): ResultRow => ({
    what: `${label} per message (sendMessage and its delivery, ${project.sent} one by one)`,
    project: fixed(project[key], 2),
    baseline: fixed(baseline[key], 2),
    ratio: ratio(project[key], baseline[key]),
    target: '',
    met: undefined,
  });
  return {
    name: 'statements',
    rows: [
      row('statements', 'statements'),
      row('roundTrips', 'round trips'),
      {
        what: 'statements a second when idle',
        project: fixed(project.idleStatementsPerSecond),
        baseline: fixed(baseline.idleStatementsPerSecond),
        ratio: undefined,
        target: '',
        met: undefined,
      },
      ...(withRedis?.redis
        ? [
            {
              what: `with REDIS_URL: statements / Redis commands per message (${Object.entries(
                withRedis.redis.byCommand,
              )
                .map(([name, n]) => `${name} ${n}`)
                .join(', ')})`,
              project: `${fixed(withRedis.statements, 2)} / ${fixed(withRedis.redis.commands, 2)}`,
              baseline: 'none',
              ratio: undefined,
              target: '',
              met: undefined,
            },
            {
              what: 'with REDIS_URL: Redis commands a second when idle',
              project: fixed(withRedis.redis.idleCommandsPerSecond),
              baseline: 'none',
              ratio: undefined,
              target: '',
              met: undefined,
            },
          ]
        : []),
    ],
    figures: { project, baseline, withRedis },
  };
}
