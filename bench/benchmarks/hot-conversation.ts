import { type ClientKind, openSubscribers } from '../clients';
import { bareTarget, projectTarget, type RealtimeContext } from '../context';
import { closedLoopOf, deliver } from '../load';
import { type BenchResult, type ResultRow } from '../result';
import { ratio } from '../stats';

/**
 * `hotSenders` concurrent senders, each sending as soon as its last answer came, all to one receiver, who holds a
 * graphql-ws and a pusher-js socket (two raw ws sockets on the baseline): every writer contends for one inbox, and
 * each message must reach both sockets once.
 */
export async function hotConversationBenchmark(ctx: RealtimeContext): Promise<BenchResult> {
  const { sizes } = ctx;
  const senders = ctx.data.users.slice(0, sizes.hotSenders);
  const receiver = ctx.receivers[sizes.hotSenders];
  if (receiver === undefined) throw new Error('hot conversation: more senders than subscribers');
  const shared = ctx.subscribers.sockets.get(receiver.id) ?? [];
  const other: ClientKind = shared.includes('graphql-ws') ? 'pusher-js' : 'graphql-ws';
  const second = await openSubscribers(ctx.server.url, [receiver], ctx.router.onEvent, { kinds: [other] });
  const bareSecond = await openSubscribers(ctx.bare.server.url, [receiver], ctx.bare.router.onEvent, {
    kinds: ['ws'],
  });
  const run = {
    senders,
    receiverFor: () => receiver,
    load: closedLoopOf(senders.length, sizes.writeSeconds),
    drainMs: sizes.drainMs,
  };
  const tag = `hot-${Date.now()}`;
  try {
    const project = await deliver(projectTarget(ctx, second), { ...run, tag });
    const bare = await deliver(bareTarget(ctx, bareSecond), { ...run, tag: `${tag}-bare` });
    const rate = ratio(project.messagesPerSecond, bare.messagesPerSecond);
    const once = (side: typeof project) => side.lost === 0 && side.failed === 0 && side.duplicates === 0;
    const rows: ResultRow[] = [
      {
        what: `hot conversation (${senders.length} senders, 1 receiver): messages/s delivered`,
        project: String(project.messagesPerSecond),
        baseline: String(bare.messagesPerSecond),
        ratio: rate,
        target: '>= 0.5x',
        met: rate >= 0.5 && once(project),
      },
      {
        what: 'hot conversation: sent / lost / failed / duplicates',
        project: `${project.sent} / ${project.lost} / ${project.failed} / ${project.duplicates}`,
        baseline: `${bare.sent} / ${bare.lost} / ${bare.failed} / ${bare.duplicates}`,
        ratio: undefined,
        target: 'every event delivered once',
        met: once(project) && project.sent > 0,
      },
    ];
    return { name: 'hot-conversation', rows, figures: { receiverSockets: 2, project, baseline: bare } };
  } finally {
    await Promise.all([second.close(), bareSecond.close()]);
  }
}
