/** How big and how long each benchmark runs in `npm run bench`: the issues' figures. */
const FULL = {
  users: 1_000,
  messages: 100_000,
  conversationMessages: 200,
  readConnections: 50,
  readSeconds: 10,
  /** Subscribed users in fan-out, burst, writes, capacity, hot conversation and growth: half graphql-ws, half pusher-js. */
  subscribers: 1_000,
  fanoutSenders: 20,
  fanoutRates: [200, 500] as readonly number[],
  fanoutSeconds: 10,
  writeSenders: 50,
  writeSeconds: 10,
  /** Open-loop steps of the capacity benchmark, each for `capacitySeconds`, from `fanoutSenders` senders. */
  capacityRates: [100, 200, 400, 800, 1_600] as readonly number[],
  capacitySeconds: 10,
  /** Capacity: the highest step whose p99 (request start to arrival, worst client kind) stays under this. */
  capacityP99Ms: 100,
  /** Hot conversation: this many concurrent senders to one receiver, for `writeSeconds`. */
  hotSenders: 50,
  /** Receivers of one notification burst each; above 1,000 (the API's limit per call), calls of 1,000 at once. */
  burstReceivers: [1_000, 10_000] as readonly number[],
  /** Receivers per createNotification call: the API's limit. */
  burstCallReceivers: 1_000,
  /** Growth: the messages table holds exactly each of these in turn, seeded in SQL. */
  growthMessages: [100_000, 1_000_000] as readonly number[],
  /** Growth: the receivers measured, each with `growthUnseen` unseen messages from many senders. */
  growthReceivers: 5,
  growthUnseen: 10_000,
  /** Growth: open-loop rate and time of each measured run; low enough to be latency, not capacity. */
  growthRate: 100,
  growthSeconds: 10,
  /** Statements per message: sent one after another to a server behind the counting proxy. */
  statementMessages: 100,
  /** Statements: how long the idle rate (polls, leases) is counted before, to take it off the messages' count. */
  statementIdleMs: 3_000,
  /** Bulk marks: unseen rows per markConversationSeen and markAllNotificationsSeen, and how many runs of each. */
  bulkMarkRows: 20_000,
  bulkMarkRuns: 5,
  memoryLevels: [0, 1_000, 5_000] as readonly number[],
  /** The longest a run waits for outstanding events before counting them lost. */
  drainMs: 30_000,
};

export type Sizes = Readonly<typeof FULL> & { readonly quick: boolean };

/** BENCH_QUICK=1: a few seconds per benchmark, small enough for the test suite, not comparable. */
const QUICK: Readonly<typeof FULL> = {
  ...FULL,
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
  capacityRates: [20, 40, 80],
  capacitySeconds: 1,
  hotSenders: 5,
  burstReceivers: [40, 100],
  burstCallReceivers: 40,
  growthMessages: [5_000, 20_000],
  growthReceivers: 2,
  growthUnseen: 200,
  growthRate: 20,
  growthSeconds: 1,
  statementMessages: 10,
  statementIdleMs: 1_000,
  bulkMarkRows: 500,
  bulkMarkRuns: 1,
  memoryLevels: [0, 50, 150],
  drainMs: 15_000,
};

export function benchSizes(quick: boolean): Sizes {
  return { ...(quick ? QUICK : FULL), quick };
}
