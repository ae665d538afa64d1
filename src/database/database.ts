import type { DataSource, Logger as TypeOrmLogger } from 'typeorm';
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
  const dataSource = createDataSource({ connection, poolSize: embedded ? 1 : 10, logger });
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
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}
