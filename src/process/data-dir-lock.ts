import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Why the data folder cannot be used: another live process holds it. */
export class DataDirLockedError extends Error {}

/**
 * True while a process with this id runs (signal 0 only checks, it delivers nothing). A zombie (killed, not yet
 * reaped by its parent, as under a container without an init) has let go of every file: it counts as dead.
 */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** Linux only (`/proc/<pid>/stat`, state after the command name); elsewhere nothing is taken for a zombie. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/**
 * Takes `server.lock` in `dataDir` so a second process (e.g. a restart while the first still closes PGlite) cannot
 * open the same database files. A lock left by a dead process is taken over. Returns the release function.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'server.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
      throw new DataDirLockedError(
        `DATA_DIR ${dataDir} is in use by process ${holder}; stop it first (or remove ${file} if that is wrong)`,
      );
    }
    unlinkSync(file); // stale: its process is gone
  }
  throw new DataDirLockedError(`could not lock DATA_DIR ${dataDir}`);
}
