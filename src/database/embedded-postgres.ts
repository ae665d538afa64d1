import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { PgConnection } from '../../ormconfig';

export interface EmbeddedPostgres {
  readonly connection: PgConnection;
  stop(): Promise<void>;
}

const SOCKET_PORT = 5432;

/**
 * Starts PGlite with its files in `dataDir` and serves it on a private Unix socket, so the app reaches it
 * through the same `pg` driver and migrations as a real PostgreSQL.
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const pgData = path.join(dataDir, 'pgdata');
  await mkdir(pgData, { recursive: true });
  const db = await PGlite.create({ dataDir: pgData });
  // Unix socket paths are limited to about 100 bytes, so the socket lives in a short temporary folder.
  const socketDir = await mkdtemp(path.join(os.tmpdir(), 'pglite-'));
  const server = new PGLiteSocketServer({
    db,
    path: path.join(socketDir, `.s.PGSQL.${SOCKET_PORT}`),
    maxConnections: 1,
  });
  await server.start();
  return {
    connection: { host: socketDir, port: SOCKET_PORT, username: 'postgres', database: 'postgres' },
    async stop() {
      await server.stop();
      await db.close();
      await rm(socketDir, { recursive: true, force: true });
    },
  };
}
