import { Client } from 'pg';
import { SHARED_DATABASE_URL, sharedServicesAvailable } from './shared-services';
import { startTestServer, type TestServer } from './test-server';

/** A started server on the shared PostgreSQL, and the test's own connection to the same database beside it. */
export interface ServerBesideDatabase {
  readonly server: TestServer;
  readonly db: Client;
  close(): Promise<void>;
}

/**
 * For tests that write or read rows in SQL beside the server (seeding in bulk, holding locks, reading what was
 * stored), which an embedded database cannot serve: undefined where no shared PostgreSQL and Redis are reachable.
 */
export async function startServerBesideDatabase(
  env: Record<string, string | undefined> = {},
): Promise<ServerBesideDatabase | undefined> {
  if (!(await sharedServicesAvailable())) return undefined;
  const server = await startTestServer({ env: { DATABASE_URL: SHARED_DATABASE_URL, ...env } });
  const db = new Client({ connectionString: SHARED_DATABASE_URL });
  await db.connect();
  return {
    server,
    db,
    close: async () => {
      await db.end();
      await server.close();
    },
  };
}
