import { performance } from 'node:perf_hooks';
import type { ClientKind, EventRouter, OnEvent, Subscribers } from './clients';
import type { BenchUser } from './dataset';
import { sleep } from './processes';
import { type Percentiles, percentiles } from './stats';

/** Sends one message from `sender` to `receiverId` with `detail`; resolves true when the server stored it. */
export type SendMessage = (sender: BenchUser, receiverId: number, detail: string) => Promise<boolean>;

export function graphqlSender(url: string): SendMessage {
  return async (sender, receiverId, detail) => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sender.token}` },
      body: JSON.stringify({
        query:
          'mutation ($to: ID!, $detail: String!) { sendMessage(receiverId: $to, detail: $detail) { id } }',
        variables: { to: String(receiverId), detail },
      }),
    });
    const body = (await res.json()) as { data?: { sendMessage?: { id: string } } };
    return res.ok && body.data?.sendMessage?.id !== undefined;
  };
}

export function baselineSender(url: string): SendMessage {
  return async (sender, receiverId, detail) => {
    const res = await fetch(`${url}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sender.token}` },
      body: JSON.stringify({ receiverId, detail }),
    });
    await res.arrayBuffer();
    return res.ok;
  };
}

export interface Delivery {
  /** Messages the server confirmed. */
  readonly sent: number;
  readonly failed: number;
  /** Messages that reached every socket of their receiver. */
  readonly delivered: number;
  /** Messages that missed at least one socket of their receiver. */
  readonly lost: number;
  /** Copies a socket got of a message it already had. */
  readonly duplicates: number;
  readonly latencyMs: Partial<Record<ClientKind, Percentiles>>;
}

/** One message's progress: when it was sent, and the copies still due per client kind. */
interface Pending {
  readonly startedAt: number;
  readonly due: Map<ClientKind, number>;
  arrived: number;
  readonly copies: number;
}

/**
 * Matches each event to the request that caused it by its unique marker, and times request start to arrival. A
 * receiver may hold several sockets: each is due one copy, and any further copy counts as a duplicate.
 */
export class DeliveryTracker {
  private readonly pending = new Map<string, Pending>();
  private readonly latencies = new Map<ClientKind, number[]>();
  private confirmed = 0;
  private failed = 0;
  private copiesDue = 0;
  private copiesArrived = 0;
  private duplicates = 0;
  lastArrival = 0;

  readonly onEvent: OnEvent = (kind, _event, marker, at) => {
    const message = this.pending.get(marker);
    if (message === undefined) return;
    const left = message.due.get(kind) ?? 0;
    if (left === 0) {
      this.duplicates++;
      return;
    }
    message.due.set(kind, left - 1);
    message.arrived++;
    this.copiesArrived++;
    this.lastArrival = at;
    const list = this.latencies.get(kind) ?? [];
    list.push(at - message.startedAt);
    this.latencies.set(kind, list);
  };

  /**
   * Sends and records one message, due once on each of `sockets` (the receiver's client kinds, one entry per
   * socket); never throws, so a failed request is counted, not fatal.
   */
  async send(
    send: SendMessage,
    sender: BenchUser,
    receiverId: number,
    sockets: readonly ClientKind[],
    marker: string,
  ): Promise<void> {
    const due = new Map<ClientKind, number>();
    for (const kind of sockets) due.set(kind, (due.get(kind) ?? 0) + 1);
    const message: Pending = { startedAt: performance.now(), due, arrived: 0, copies: sockets.length };
    this.pending.set(marker, message);
    const ok = await send(sender, receiverId, marker).catch(() => false);
    if (ok) {
      this.confirmed++;
      this.copiesDue += message.copies;
    } else {
      this.failed++;
      this.copiesArrived -= message.arrived;
      this.pending.delete(marker);
    }
  }

  /** Waits (at most `maxMs`) until every stored message has reached every socket of its receiver. */
  async drain(maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (this.copiesArrived < this.copiesDue && Date.now() < deadline) await sleep(20);
  }

  result(): Delivery {
    const latencyMs: Partial<Record<ClientKind, Percentiles>> = {};
    for (const [kind, values] of this.latencies) latencyMs[kind] = percentiles(values);
    let delivered = 0;
    for (const message of this.pending.values()) if (message.arrived === message.copies) delivered++;
    return {
      sent: this.confirmed,
      failed: this.failed,
      delivered,
      lost: this.confirmed - delivered,
      duplicates: this.duplicates,
      latencyMs,
    };
  }
}

/** The worst client kind's p99, the figure a run is held to. */
export const worstP99 = (delivery: Delivery) =>
  Math.max(...Object.values(delivery.latencyMs).map((p) => p?.p99 ?? NaN));

/** Where a run sends and listens: the project's server or a baseline, with the clients subscribed to it. */
export interface Target {
  readonly send: SendMessage;
  readonly router: EventRouter;
  /** The client kinds of a receiver's sockets, one entry per socket. */
  readonly sockets: (receiverId: number) => readonly ClientKind[];
}

/** A target whose receivers' sockets are those of `subscribers` (several sets: a receiver's sockets in each). */
export function targetOf(send: SendMessage, router: EventRouter, ...subscribers: Subscribers[]): Target {
  return { send, router, sockets: (id) => subscribers.flatMap((set) => set.sockets.get(id) ?? []) };
}

/** How the sends are driven: `sendOne(worker, i)` for the i-th message, by one of the workers. */
export type Load = (sendOne: (worker: number, i: number) => Promise<void>) => Promise<unknown>;

/** Open loop: `rate` messages a second for `seconds`, whatever the answers' speed. */
export const openLoop =
  (rate: number, seconds: number): Load =>
  (sendOne) =>
    paced(rate, seconds, (i) => sendOne(i, i));

/** Closed loop: `concurrency` workers, each sending as soon as its last answer came, for `seconds`. */
export const closedLoopOf =
  (concurrency: number, seconds: number): Load =>
  (sendOne) =>
    closedLoop(concurrency, seconds, sendOne);

/** One message after another, `count` in all: what a message costs alone, with nothing else in flight. */
export const oneByOne =
  (count: number): Load =>
  async (sendOne) => {
    for (let i = 0; i < count; i++) await sendOne(0, i);
  };

export interface LoadRun {
  /** A worker sends as `senders[worker % senders.length]`. */
  readonly senders: readonly BenchUser[];
  readonly receiverFor: (sender: BenchUser) => BenchUser;
  readonly load: Load;
  readonly drainMs: number;
  /** Prefix of every message's marker, unique to the run. */
  readonly tag: string;
}

export interface Throughput extends Delivery {
  /** Messages stored and delivered per second, from the first request to the last event's arrival. */
  readonly messagesPerSecond: number;
  readonly seconds: number;
}

/**
 * The sender loop every message benchmark shares: drives `run.load` against `target`, tracks each message to every
 * socket of its receiver, then drains what is still on its way.
 */
export async function deliver(target: Target, run: LoadRun): Promise<Throughput> {
  const tracker = new DeliveryTracker();
  target.router.listener = tracker.onEvent;
  try {
    const started = performance.now();
    await run.load((worker, i) => {
      const sender = run.senders[worker % run.senders.length];
      const receiver = run.receiverFor(sender);
      return tracker.send(target.send, sender, receiver.id, target.sockets(receiver.id), `${run.tag}-${i}`);
    });
    await tracker.drain(run.drainMs);
    const delivery = tracker.result();
    const seconds = (Math.max(tracker.lastArrival, started) - started) / 1000;
    return {
      ...delivery,
      messagesPerSecond: seconds > 0 ? Math.round(delivery.delivered / seconds) : 0,
      seconds: Math.round(seconds * 100) / 100,
    };
  } finally {
    target.router.listener = undefined;
  }
}

/** Random receiver other than the sender, among the subscribed users. */
export function pickReceiver(receivers: readonly BenchUser[], sender: BenchUser): BenchUser {
  for (;;) {
    const receiver = receivers[Math.floor(Math.random() * receivers.length)];
    if (receiver.id !== sender.id || receivers.length === 1) return receiver;
  }
}

/**
 * Open-loop load: `rate` sends per second spread over the senders for `seconds`, whatever the answers' speed, so
 * a slow server shows as latency rather than as a lower rate. Bounded by count (rate × seconds) and time.
 */
export async function paced(
  rate: number,
  seconds: number,
  sendOne: (i: number) => Promise<void>,
): Promise<void> {
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  let next = 0;
  while (next < total && performance.now() - started < seconds * 1000 + 5_000) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    for (; next < due; next++) inFlight.push(sendOne(next));
    await sleep(2);
  }
  await Promise.all(inFlight);
}

/** Closed-loop load: `concurrency` workers each sending one after another until `seconds` pass. */
export async function closedLoop(
  concurrency: number,
  seconds: number,
  sendOne: (worker: number, i: number) => Promise<void>,
): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let count = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < until) await sendOne(worker, count++);
    }),
  );
  return count;
}
