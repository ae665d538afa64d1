import { performance } from 'node:perf_hooks';
import type { ClientKind, OnEvent } from './clients';
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
  readonly sent: number;
  readonly failed: number;
  readonly delivered: number;
  readonly lost: number;
  readonly latencyMs: Partial<Record<ClientKind, Percentiles>>;
}

/** Matches each event to the request that caused it by its unique marker, and times request start to arrival. */
export class DeliveryTracker {
  private readonly startedAt = new Map<string, number>();
  private readonly receiverKind = new Map<string, ClientKind>();
  private readonly arrived = new Set<string>();
  private readonly latencies = new Map<ClientKind, number[]>();
  private confirmed = 0;
  private failed = 0;
  lastArrival = 0;

  readonly onEvent: OnEvent = (kind, _event, marker, at) => {
    const start = this.startedAt.get(marker);
    if (start === undefined || this.arrived.has(marker)) return;
    this.arrived.add(marker);
    this.lastArrival = at;
    const list = this.latencies.get(kind) ?? [];
    list.push(at - start);
    this.latencies.set(kind, list);
  };

  /** Sends and records one message; never throws, so a failed request is counted, not fatal. */
  async send(
    send: SendMessage,
    sender: BenchUser,
    receiverId: number,
    kind: ClientKind,
    marker: string,
  ): Promise<void> {
    this.startedAt.set(marker, performance.now());
    this.receiverKind.set(marker, kind);
    const ok = await send(sender, receiverId, marker).catch(() => false);
    if (ok) this.confirmed++;
    else {
      this.failed++;
      this.startedAt.delete(marker);
    }
  }

  /** Waits (at most `maxMs`) until every stored message has reached its receiver. */
  async drain(maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (this.arrived.size < this.confirmed && Date.now() < deadline) await sleep(20);
  }

  result(): Delivery {
    const latencyMs: Partial<Record<ClientKind, Percentiles>> = {};
    for (const [kind, values] of this.latencies) latencyMs[kind] = percentiles(values);
    return {
      sent: this.confirmed,
      failed: this.failed,
      delivered: this.arrived.size,
      lost: this.confirmed - this.arrived.size,
      latencyMs,
    };
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
