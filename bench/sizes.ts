/** How big and how long each benchmark runs: the figures, or a few seconds with BENCH_QUICK=1. */
export interface Sizes {
  readonly quick: boolean;
  readonly users: number;
  readonly messages: number;
  readonly conversationMessages: number;
  readonly readConnections: number;
  readonly readSeconds: number;
  /** Subscribed users in fan-out, burst and writes: half graphql-ws, half pusher-js. */
  readonly subscribers: number;
  readonly fanoutSenders: number;
  readonly fanoutRates: readonly number[];
  readonly fanoutSeconds: number;
  readonly writeSenders: number;
  readonly writeSeconds: number;
  readonly memoryLevels: readonly number[];
  /** The longest a run waits for outstanding events before counting them lost. */
  readonly drainMs: number;
}

export function benchSizes(quick: boolean): Sizes {
  if (quick) {
    return {
      quick,
      users: 60,
      messages: 2_000,
      conversationMessages: 40,
      readConnections: 10,
      readSeconds: 2,
      subscribers: 40,
      fanoutSenders: 5,
      fanoutRates: [20, 50],
      fanoutSeconds: 2,
      writeSenders: 5,
      writeSeconds: 2,
      memoryLevels: [0, 50, 150],
      drainMs: 15_000,
    };
  }
  return {
    quick,
    users: 1_000,
    messages: 100_000,
    conversationMessages: 200,
    readConnections: 50,
    readSeconds: 10,
    subscribers: 1_000,
    fanoutSenders: 20,
    fanoutRates: [200, 500],
    fanoutSeconds: 10,
    writeSenders: 50,
    writeSeconds: 10,
    memoryLevels: [0, 1_000, 5_000],
    drainMs: 30_000,
  };
}
