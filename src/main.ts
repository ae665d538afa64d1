import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from './config/config';
import { createLogger } from './logger';
import { DataDirLockedError, lockDataDir } from './process/data-dir-lock';
import { type RunningServer, startServer } from './server';

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

  // Signals are handled from before the start, so that one arriving during start-up (or right after the "server
  // ready" line, which a supervisor may act on at once) stops the server cleanly instead of killing it.
  let server: RunningServer | undefined = undefined;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    if (server !== undefined) void shutDown(server);
    // Otherwise start-up finishes first and shuts down at once.
  };
  const shutDown = async (running: RunningServer) => {
    const hardStop = setTimeout(() => {
      logger.fatal(
        { pending: running.pendingStops() },
        `shutdown still running after ${SHUTDOWN_TIMEOUT_MS} ms`,
      );
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    hardStop.unref();
    try {
      await running.close();
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
    releaseLock();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  server = await startServer(config, logger).catch((error: unknown) => {
    logger.fatal({ err: error }, 'could not start');
    releaseLock();
    process.exit(1);
  });
  if (stopping) {
    await shutDown(server);
    return;
  }
  logger.info(
    {
      url: `${server.url}/graphql`,
      database: server.database.embedded ? `embedded in ${config.dataDir}` : 'DATABASE_URL',
    },
    'server ready',
  );
}

void main();
