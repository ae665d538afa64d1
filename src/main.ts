import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from './config/config';
import { createLogger } from './logger';
import { DataDirLockedError, lockDataDir } from './process/data-dir-lock';
import { startServer } from './server';

/** Past this a shutdown counts as hung: the process exits non-zero instead of waiting on. */
const SHUTDOWN_TIMEOUT_MS = 9_000;

async function main(): Promise<void> {
  // A local .env is a convenience; variables already set in the environment win over it.
  if (existsSync('.env')) process.loadEnvFile('.env');
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const logger = createLogger(config.logLevel, config.env);

  // Last resort: after an unexpected error the state is unknown, so stop rather than run on.
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection');
    process.exit(1);
  });

  // The embedded database lives in DATA_DIR; the lock is held until it is closed.
  let releaseLock = () => {};
  if (config.databaseUrl === undefined) {
    try {
      releaseLock = lockDataDir(config.dataDir);
    } catch (error) {
      if (!(error instanceof DataDirLockedError)) throw error;
      logger.fatal(error.message);
      process.exit(1);
    }
  }

  const server = await startServer(config, logger).catch((error: unknown) => {
    logger.fatal({ err: error }, 'could not start');
    releaseLock();
    process.exit(1);
  });
  logger.info(
    {
      url: `${server.url}/graphql`,
      database: server.database.embedded ? `embedded in ${config.dataDir}` : 'DATABASE_URL',
    },
    'server ready',
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const hardStop = setTimeout(() => {
      logger.fatal(
        { pending: server.pendingStops() },
        `shutdown still running after ${SHUTDOWN_TIMEOUT_MS} ms`,
      );
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    hardStop.unref();
    server.close().then(
      () => {
        releaseLock();
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
