import type { EventRouter, Subscribers } from './clients';
import type { BenchUser, DataSet } from './dataset';
import { baselineSender, graphqlSender, type Target, targetOf } from './load';
import type { Started } from './processes';
import type { Sizes } from './sizes';

/** What every benchmark gets: the running server, its data set, and how big to run. */
export interface BenchContext {
  readonly sizes: Sizes;
  readonly server: Started;
  /**
   * Another server process on the same settings, for figures the earlier load must not skew; on another database
   * URL when given (e.g. a proxy in front of the same database).
   */
  readonly startFreshServer: (
    extraNodeArgs?: string[],
    databaseUrl?: string,
    extraEnv?: NodeJS.ProcessEnv,
  ) => Promise<Started>;
  readonly data: DataSet;
  readonly databaseUrl: string;
  /** The environment a baseline needs: the same database and JWT secret as the server. */
  readonly baselineEnv: NodeJS.ProcessEnv;
}

/** A server the message benchmarks load, with one client per receiver subscribed to it. */
export interface Side {
  readonly server: Started;
  readonly router: EventRouter;
  readonly subscribers: Subscribers;
}

/**
 * The subscribed users shared by the message and notification benchmarks, on the project's server (half graphql-ws,
 * half pusher-js) and on the bare baseline (`bench/baselines/message-server.ts`, raw ws), both open for the whole run.
 */
export interface RealtimeContext extends BenchContext {
  readonly receivers: readonly BenchUser[];
  readonly subscribers: Subscribers;
  readonly router: EventRouter;
  readonly bare: Side;
}

/** Where the message benchmarks send on the project: GraphQL sendMessage, to the shared subscribers. */
export const projectTarget = (ctx: RealtimeContext, ...more: Subscribers[]): Target =>
  targetOf(graphqlSender(ctx.server.url), ctx.router, ctx.subscribers, ...more);

/** The same on the bare baseline: POST /messages, to its raw ws subscribers. */
export const bareTarget = (ctx: RealtimeContext, ...more: Subscribers[]): Target =>
  targetOf(baselineSender(ctx.bare.server.url), ctx.bare.router, ctx.bare.subscribers, ...more);
