import os from 'node:os';
import 'reflect-metadata';
import path from 'node:path';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import { entities } from './src/entities';
import { subscribers } from './src/subscribers';

/** Where a DataSource connects: a connection string, or the embedded server's socket. */
export type PgConnection =
  | { readonly url: string }
  | { readonly host: string; readonly port: number; readonly username: string; readonly database: string };

export interface DataSourceSettings {
  readonly connection: PgConnection;
  /** The embedded PostgreSQL serves one connection at a time, so its pool holds one. */
  readonly poolSize?: number;
  readonly logger?: TypeOrmLogger;
  /**
   * `statement_timeout`, `lock_timeout` and `idle_in_transaction_session_timeout` of every pooled connection in
   * milliseconds, sent at connect so they cost no statement; 0 or none leaves PostgreSQL's own (none). The last
   * ends the session of an instance frozen or cut off in the middle of a transaction, whose row locks would
   * otherwise stop every other instance's writes to the same users until TCP noticed, hours later.
   */
  readonly timeouts?: {
    readonly statementMs: number;
    readonly lockMs: number;
    readonly idleTransactionMs?: number;
  };
}

/** `jobwarehouse <host> <pid>` (this process's by default), within PostgreSQL's 63 bytes. */
export const applicationName = (pid = process.pid): string =>
  `jobwarehouse ${os.hostname()} ${pid}`.slice(0, 63);

/** Builds the one DataSource shape the app, the tests and the TypeORM CLI share (migrations, never synchronize). */
export function createDataSource({
  connection,
  poolSize = 10,
  logger,
  timeouts,
}: DataSourceSettings): DataSource {
  return new DataSource({
    type: 'postgres',
    ...connection,
    entities,
    subscribers,
    migrations: [path.join(__dirname, 'migrations', '*.{ts,js}')],
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    migrationsRun: false,
    extra: {
      max: poolSize,
      // Which process holds a connection, in pg_stat_activity: a DBA (or a test) can tell the instances apart.
      application_name: applicationName(),
      ...(timeouts?.statementMs ? { statement_timeout: timeouts.statementMs } : {}),
      ...(timeouts?.lockMs ? { lock_timeout: timeouts.lockMs } : {}),
      ...(timeouts?.idleTransactionMs
        ? { idle_in_transaction_session_timeout: timeouts.idleTransactionMs }
        : {}),
    },
    logger,
    logging: logger === undefined ? false : ['query', 'error'],
  });
}

/** For the TypeORM CLI (`npm run migration:*`): the PostgreSQL named by DATABASE_URL. */
export default createDataSource({
  connection: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
});
