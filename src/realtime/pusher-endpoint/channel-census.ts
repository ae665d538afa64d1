import { randomUUID } from 'node:crypto';
import type { PusherCensusReply, PusherCensusRequest, SharedBus } from '../../events/shared-bus';

/** What one instance holds of a channel. */
export type LocalChannel = PusherCensusReply['channels'][number];

/** The instance side of the census: its own channels. */
export interface LocalChannels {
  localChannels(matches: (channel: string) => boolean): LocalChannel[];
}

/** A channel over every instance. */
export interface ChannelCount {
  readonly subscriptionCount: number;
  /** Distinct members of a presence channel. */
  readonly userIds: ReadonlySet<string>;
}

interface Pending {
  readonly expected: number;
  readonly replies: Map<string, PusherCensusReply>;
  readonly done: () => void;
}

const matcher = (request: Pick<PusherCensusRequest, 'prefix' | 'channel'>) => (channel: string) =>
  request.channel === undefined ? channel.startsWith(request.prefix) : channel === request.channel;

/**
 * Counts built-in Pusher channels over every instance: a request on the bus, one reply per instance, summed. It
 * waits for as many replies as there are live instances, and no longer than `timeoutMs` (an instance that died
 * but is not yet known dead is then left out).
 */
export class ChannelCensus {
  private readonly instanceId = randomUUID();
  private readonly pending = new Map<string, Pending>();

  private constructor(
    private readonly bus: SharedBus,
    private readonly liveInstances: () => Promise<number>,
    private readonly timeoutMs: number,
  ) {}

  static async start(
    bus: SharedBus,
    local: LocalChannels,
    liveInstances: () => Promise<number> = async () => 1,
    timeoutMs = 2000,
  ): Promise<ChannelCensus> {
    const census = new ChannelCensus(bus, liveInstances, timeoutMs);
    await bus.subscribe('pusher-census-reply', (reply) => census.replied(reply));
    await bus.subscribe('pusher-census', (request) =>
      bus.publish('pusher-census-reply', {
        requestId: request.requestId,
        instanceId: census.instanceId,
        channels: local.localChannels(matcher(request)),
      }),
    );
    return census;
  }

  /** The occupied channels matching, with their counts over every instance. */
  async count(filter: { prefix: string; channel?: string }): Promise<Map<string, ChannelCount>> {
    const requestId = randomUUID();
    const expected = Math.max(1, await this.liveInstances().catch(() => 1));
    const replies = new Map<string, PusherCensusReply>();
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<void>((resolve) => {
      this.pending.set(requestId, { expected, replies, done: resolve });
      timer = setTimeout(resolve, this.timeoutMs);
    });
    try {
      await this.bus.publish('pusher-census', { requestId, ...filter });
      await answered;
    } finally {
      clearTimeout(timer);
      this.pending.delete(requestId);
    }
    const counts = new Map<string, { subscriptionCount: number; userIds: Set<string> }>();
    for (const reply of replies.values()) {
      for (const { channel, subscriptionCount, userIds } of reply.channels) {
        const count = counts.get(channel) ?? { subscriptionCount: 0, userIds: new Set<string>() };
        count.subscriptionCount += subscriptionCount;
        for (const id of userIds) count.userIds.add(id);
        counts.set(channel, count);
      }
    }
    return counts;
  }

  private replied(reply: PusherCensusReply): void {
    const pending = this.pending.get(reply.requestId);
    if (!pending) return;
    pending.replies.set(reply.instanceId, reply);
    if (pending.replies.size >= pending.expected) pending.done();
  }
}
