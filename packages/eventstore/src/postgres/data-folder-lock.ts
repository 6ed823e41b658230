import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Another live process (or this one) already has the embedded database folder open. */
export class DataFolderInUse extends Error {
  readonly code = 'EVENTSTORE.DATA_FOLDER_IN_USE';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `The data folder ${dataDir} is in use by process ${pid}: the embedded store allows one process per folder. Stop that process, or give this one another DATA_DIR.`,
    );
    this.name = 'DataFolderInUse';
  }
}

const LOCK_FILE = 'calsync.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite is one in-process PostgreSQL: two processes (or two stores in one process) on the same
 * folder would corrupt it. A lock file holding the owner's pid refuses the second; a lock left by
 * a process that died (SIGKILL) is taken over. Returns the release function.
 */
export async function lockDataFolder(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) throw new DataFolderInUse(dataDir, owner);
      await rm(path, { force: true });
    }
  }
  throw new Error(`Could not take the lock of the data folder ${dataDir}: it keeps changing hands.`);
}
