/** A page of recorded events after a position, oldest first. */
export interface ReplayPage<E> {
  readonly events: readonly E[];
  readonly hasMore: boolean;
}

const ended = { done: true, value: undefined } as const;

/**
 * Replays what was recorded after `after`, page by page, then goes on with the live events, in id order, with no
 * gap and no duplicate. `live` must be listening before this is called (before the first page is read): whatever
 * commits meanwhile waits in it, and a live event the replay already gave (id not above the last one given) is
 * dropped. Without `after`, only live events. `return` frees the live listener at once, even during a replay.
 */
export function resumableStream<L extends { readonly id: string }, E extends { readonly id: string }>(
  live: AsyncIterator<L>,
  toItem: (event: L) => E,
  replay: ((after: string) => Promise<ReplayPage<E>>) | undefined,
  after: string | undefined,
): AsyncIterableIterator<E> {
  let position = after === undefined ? undefined : BigInt(after);
  let replaying = replay !== undefined && after !== undefined;
  let queue: E[] = [];
  let closed = false;

  const close = async () => {
    closed = true;
    queue = [];
    await live.return?.();
  };

  const take = async (): Promise<IteratorResult<E, undefined>> => {
    while (replaying && queue.length === 0 && !closed) {
      const page = await (replay as (after: string) => Promise<ReplayPage<E>>)(String(position));
      queue = [...page.events];
      replaying = page.hasMore;
    }
    const replayed = queue.shift();
    if (replayed !== undefined && !closed) {
      position = BigInt(replayed.id);
      return { done: false, value: replayed };
    }
    while (!closed) {
      const next = await live.next();
      if (next.done || closed) break;
      const id = BigInt(next.value.id);
      if (position !== undefined && id <= position) continue;
      position = id;
      return { done: false, value: toItem(next.value) };
    }
    return ended;
  };

  return {
    async next() {
      if (closed) return ended;
      try {
        return await take();
      } catch (error) {
        await close();
        throw error;
      }
    },
    async return() {
      await close();
      return ended;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
