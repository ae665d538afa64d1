import { type DataSource, MigrationExecutor, type Logger as TypeOrmLogger } from 'typeorm';
import { createDataSource, type PgConnection } from '../../ormconfig';
import type { Config } from '../config/config';
import { startEmbeddedPostgres } from './embedded-postgres';

export interface Database {
  readonly dataSource: DataSource;
  readonly embedded: boolean;
  close(): Promise<void>;
}

// Any constant shared by every instance: concurrent starts on one database apply migrations one at a time.
const MIGRATION_LOCK_KEY = 721_400_001;

/** Connects to DATABASE_URL, or to an embedded PostgreSQL in DATA_DIR when there is none; one path for both. */
export async function openDatabase(config: Config, logger?: TypeOrmLogger): Promise<Database> {
  const embedded = config.databaseUrl === undefined ? await startEmbeddedPostgres(config.dataDir) : undefined;
  const connection: PgConnection = embedded?.connection ?? { url: config.databaseUrl as string };
  // PGlite cannot interrupt a statement (and serves one connection), so the timeouts are for PostgreSQL servers.
  const dataSource = createDataSource({
    connection,
    poolSize: embedded ? 1 : 10,
    logger,
    timeouts: embedded ? undefined : config.databaseTimeouts,
  });
  try {
    await dataSource.initialize();
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  return {
    dataSource,
    embedded: embedded !== undefined,
    async close() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await embedded?.stop();
    },
  };
}

/**
 * Applies pending migrations. On a shared PostgreSQL an advisory lock makes concurrent starts take turns; the
 * embedded database belongs to this process alone, and its single connection could not hold a lock meanwhile.
 * Migrations run on the lock's connection with the pool's timeouts lifted: one that rewrites a big table, or
 * waits for requests to let go of it, may take as long as it needs.
 */
export async function runMigrations(database: Database): Promise<void> {
  const { dataSource } = database;
  if (database.embedded) {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query(
      'SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0',
    );
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const executor = new MigrationExecutor(dataSource, lock);
    executor.transaction = 'each';
    await executor.executePendingMigrations();
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock
      .query('RESET statement_timeout; RESET lock_timeout; RESET idle_in_transaction_session_timeout')
      .catch(() => undefined);
    await lock.release();
  }
}
