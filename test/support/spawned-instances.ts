import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SHARED_DATABASE_URL, SHARED_REDIS_PREFIX, SHARED_REDIS_URL } from './shared-services';
import { type SpawnedServer, spawnServer } from './spawned-server';
import { TEST_JWT_SECRET } from './test-server';

/**
 * Instances of the built server (`node dist/src/main.js`) on the shared PostgreSQL and Redis, each with a data
 * folder of its own, as the fault tests start, freeze and kill them; and whatever else a test must undo (`later`),
 * undone in reverse order by `cleanUp()` after each test. Limits a test's own load would trip are raised.
 */
export class SpawnedInstances {
  private readonly cleanups: (() => Promise<unknown> | unknown)[] = [];
  private readonly dataDirs: string[] = [];

  async spawn(env: Record<string, string | undefined> = {}): Promise<SpawnedServer> {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'jw-instance-'));
    this.dataDirs.push(dataDir);
    const server = await spawnServer({
      NODE_ENV: 'test',
      JWT_SECRET: TEST_JWT_SECRET,
      DATA_DIR: dataDir,
      DATABASE_URL: SHARED_DATABASE_URL,
      REDIS_URL: SHARED_REDIS_URL,
      REDIS_PREFIX: SHARED_REDIS_PREFIX,
      THROTTLE_REGISTER_PER_IP: '100000/60',
      THROTTLE_LOGIN_PER_IP: '100000/60',
      THROTTLE_BROADCASTING_AUTH_PER_IP: '100000/60',
      // The tests stream messages from one sender, faster than a person would.
      THROTTLE_SEND_MESSAGE_PER_USER: '100000/60',
      THROTTLE_SEND_MESSAGE_PER_PAIR: '100000/60',
      ...env,
    });
    this.later(async () => {
      if (!running(server)) return;
      // A frozen one must run again to take the SIGKILL's exit through its parent's wait.
      server.child.kill('SIGCONT');
      server.child.kill('SIGKILL');
      await server.exited;
    });
    return server;
  }

  /** Something to undo after the test (a client to close, a service to stop). */
  later(cleanup: () => Promise<unknown> | unknown): void {
    this.cleanups.push(cleanup);
  }

  /** Undoes what the test left, newest first: for `afterEach`. */
  async cleanUp(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      await Promise.resolve(cleanup()).catch(() => undefined);
    }
  }

  /** Removes the data folders: for `afterAll`. */
  async removeDataDirs(): Promise<void> {
    for (const dir of this.dataDirs.splice(0)) await rm(dir, { recursive: true, force: true });
  }
}

export const running = (server: SpawnedServer): boolean =>
  server.child.exitCode === null && server.child.signalCode === null;
