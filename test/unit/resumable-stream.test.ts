import { RealtimePubSub, Topic } from '../../src/realtime/topics';
import type { RealtimeEvent } from '../../src/events/realtime-event';
import { RealtimeEventName } from '../../src/events/realtime-event';
import { type ReplayPage, resumableStream } from '../../src/realtime/resumable-stream';

const event = (id: number): RealtimeEvent => ({
  id: String(id),
  name: RealtimeEventName.MESSAGE_CREATED,
  recipientIds: [7],
  payload: `{"n":${id}}`,
});

/** A recorded history of ids, read in pages of two as the service would. */
function history(ids: number[]) {
  const reads: string[] = [];
  const replay = async (after: string): Promise<ReplayPage<RealtimeEvent>> => {
    reads.push(after);
    const rest = ids.filter((id) => id > Number(after));
    return { events: rest.slice(0, 2).map(event), hasMore: rest.length > 2 };
  };
  return { replay, reads };
}

async function take(stream: AsyncIterator<RealtimeEvent>, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(((await stream.next()).value as RealtimeEvent).id);
  return ids;
}

describe('resumableStream', () => {
  it('replays page by page, then goes on live, dropping live events the replay already gave', async () => {
    const pubSub = new RealtimePubSub();
    const live = pubSub.subscribe(Topic.REALTIME_EVENTS, '7');
    // Committed while the replay is read: 5 and 6 are both recorded and live.
    for (const id of [5, 6, 8]) pubSub.publish(Topic.REALTIME_EVENTS, '7', event(id));
    const { replay, reads } = history([3, 4, 5, 6]);
    const stream = resumableStream(live, (e) => e, replay, '2');
    expect(await take(stream, 4)).toEqual(['3', '4', '5', '6']);
    expect(await take(stream, 1)).toEqual(['8']);
    pubSub.publish(Topic.REALTIME_EVENTS, '7', event(9));
    expect(await take(stream, 1)).toEqual(['9']);
    expect(reads).toEqual(['2', '4']);
    await stream.return?.();
    expect(pubSub.listenerCount(Topic.REALTIME_EVENTS, '7')).toBe(0);
  });

  it('without a position streams live events only', async () => {
    const pubSub = new RealtimePubSub();
    const { replay, reads } = history([1, 2]);
    const stream = resumableStream(pubSub.subscribe(Topic.REALTIME_EVENTS, '7'), (e) => e, replay, undefined);
    pubSub.publish(Topic.REALTIME_EVENTS, '7', event(3));
    expect(await take(stream, 1)).toEqual(['3']);
    expect(reads).toEqual([]);
    await stream.return?.();
  });

  it('frees the live listener when ended while waiting, and when the replay fails', async () => {
    const pubSub = new RealtimePubSub();
    const stream = resumableStream(
      pubSub.subscribe(Topic.REALTIME_EVENTS, '7'),
      (e) => e,
      undefined,
      undefined,
    );
    const waiting = stream.next();
    await stream.return?.();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(pubSub.listenerCount(Topic.REALTIME_EVENTS, '7')).toBe(0);

    const failing = resumableStream(
      pubSub.subscribe(Topic.REALTIME_EVENTS, '7'),
      (e) => e,
      () => Promise.reject(new Error('database down')),
      '1',
    );
    await expect(failing.next()).rejects.toThrow('database down');
    expect(pubSub.listenerCount(Topic.REALTIME_EVENTS, '7')).toBe(0);
    expect(await failing.next()).toEqual({ done: true, value: undefined });
  });
});
