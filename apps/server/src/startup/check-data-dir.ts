import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { err, ok, type Result } from 'neverthrow';
import { EXIT, refusal, type StartupRefusal } from './startup-refusal.js';

/** What PGlite (PostgreSQL) puts into a data folder; calsync adds its lock file. */
const DATABASE_MARKER = 'PG_VERSION';
const LOCK_FILE = 'calsync.lock';
/** At most this many stray names are shown. */
const MAX_SHOWN = 5;

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

const cannotWrite = (dataDir: string, code: string | undefined): StartupRefusal =>
  code === 'EACCES' || code === 'EPERM'
    ? refusal(
        EXIT.noPermission,
        `The data folder DATA_DIR=${dataDir} may not be written by this user (${code}). Give the user calsync runs as write access to it, or set DATA_DIR to a folder it owns.`,
        `Der Datenordner DATA_DIR=${dataDir} darf von diesem Benutzer nicht beschrieben werden (${code}). Geben Sie dem Benutzer, unter dem calsync läuft, Schreibrechte, oder setzen Sie DATA_DIR auf einen eigenen Ordner.`,
      )
    : refusal(
        EXIT.cannotCreate,
        `The data folder DATA_DIR=${dataDir} cannot be created or written (${code ?? 'unknown reason'}). Check that the path is a folder on a writable disk, or set DATA_DIR to another one.`,
        `Der Datenordner DATA_DIR=${dataDir} kann nicht angelegt oder beschrieben werden (${code ?? 'unbekannter Grund'}). Prüfen Sie, dass der Pfad ein Ordner auf einem beschreibbaren Datenträger ist, oder setzen Sie DATA_DIR auf einen anderen.`,
      );

/**
 * The embedded store's folder must be calsync's: missing, empty, or a database folder.
 * Anything else (a file, a folder of other things) is refused before PGlite touches it,
 * and so is a folder this process cannot write.
 */
export async function checkDataDir(dataDir: string): Promise<Result<void, StartupRefusal>> {
  const found = await stat(dataDir).catch((error: unknown) => codeOf(error) ?? 'unknown');
  if (typeof found !== 'string') {
    if (!found.isDirectory())
      return err(
        refusal(
          EXIT.config,
          `DATA_DIR=${dataDir} is a file, not a folder: calsync keeps its embedded store in a folder of its own. Set DATA_DIR to an empty or new folder.`,
          `DATA_DIR=${dataDir} ist eine Datei, kein Ordner: calsync legt seinen eingebetteten Speicher in einem eigenen Ordner ab. Setzen Sie DATA_DIR auf einen leeren oder neuen Ordner.`,
        ),
      );
    const entries = (await readdir(dataDir).catch(() => [])).filter((name) => name !== LOCK_FILE);
    if (entries.length > 0 && !entries.includes(DATABASE_MARKER)) {
      const shown = entries.slice(0, MAX_SHOWN).join(', ') + (entries.length > MAX_SHOWN ? ', …' : '');
      return err(
        refusal(
          EXIT.config,
          `The data folder DATA_DIR=${dataDir} holds things that are not calsync's store (${shown}). calsync will not write into a folder it did not create. Set DATA_DIR to an empty or new folder, or move those files away.`,
          `Der Datenordner DATA_DIR=${dataDir} enthält Dinge, die nicht zum Speicher von calsync gehören (${shown}). calsync schreibt nicht in einen Ordner, den es nicht angelegt hat. Setzen Sie DATA_DIR auf einen leeren oder neuen Ordner, oder verschieben Sie diese Dateien.`,
        ),
      );
    }
  } else if (found !== 'ENOENT') {
    return err(cannotWrite(dataDir, found));
  }
  // Root passes every permission check, so write for real instead of asking access().
  try {
    await mkdir(dataDir, { recursive: true });
    const probe = join(dataDir, `.calsync-write-check-${randomBytes(4).toString('hex')}`);
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (error) {
    return err(cannotWrite(dataDir, codeOf(error)));
  }
  return ok(undefined);
}
