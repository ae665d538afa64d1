/** The benchmarks that share one set of subscribers on the server and one on the bare baseline, in run order. */
export const REALTIME = [
  'fanout',
  'notification-burst',
  'writes',
  'hot-conversation',
  'capacity',
  // Last of those on the shared subscribers: it grows the messages table tenfold.
  'growth',
] as const;

/** Every benchmark's name (its BENCH_ONLY name and its result file), in the order they run. */
export const BENCHMARKS = ['read', 'statements', 'bulk-marks', ...REALTIME, 'memory', 'cold-start'] as const;

export type BenchName = (typeof BENCHMARKS)[number];
