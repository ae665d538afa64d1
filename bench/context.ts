import type { EventRouter, Subscribers } from './clients';
import type { BenchUser, DataSet } from './dataset';
import type { Started } from './processes';
import type { Sizes } from './sizes';

/** What every benchmark gets: the running server, its data set, and how big to run. */
export interface BenchContext {
  readonly sizes: Sizes;
  readonly server: Started;
  /** Another server process on the same database and settings, for figures the earlier load must not skew. */
  readonly startFreshServer: (extraNodeArgs?: string[]) => Promise<Started>;
  readonly data: DataSet;
  readonly databaseUrl: string;
  /** The environment a baseline needs: the same database and JWT secret as the server. */
  readonly baselineEnv: NodeJS.ProcessEnv;
}

/** The subscribed users shared by fan-out, burst and writes, and where their events go. */
export interface RealtimeContext extends BenchContext {
  readonly receivers: readonly BenchUser[];
  readonly subscribers: Subscribers;
  readonly router: EventRouter;
}
