import { DataFolderInUse } from '@calsync/eventstore';
import { ConfigurationError } from '../server.js';
import { EXIT, refusal, type StartupRefusal, StartupRefusedError } from './startup-refusal.js';

/** The first line of a message, never a stack, at most this long. */
const MAX_REASON = 300;

const reasonOf = (error: unknown): string => {
  const text =
    error instanceof Error
      ? error.message
      : typeof error === 'object' && error !== null && 'name' in error
        ? String((error as { name: unknown }).name)
        : String(error);
  const line = (text.split('\n')[0] ?? '').trim();
  return (line || 'unknown error').slice(0, MAX_REASON);
};

/** Whatever stopped start-up, as a sentence in English and German with its exit code. */
export function describeStartupFailure(error: unknown, dataDir?: string): StartupRefusal {
  if (error instanceof StartupRefusedError) return error.refusal;
  if (error instanceof ConfigurationError) {
    const problems = error.problems.map((problem) => `  - ${problem}`).join('\n');
    return refusal(
      EXIT.config,
      error.message,
      `Die Konfiguration ist ungültig:\n${problems}\nKorrigieren Sie diese Schlüssel und starten Sie calsync erneut.`,
    );
  }
  if (error instanceof DataFolderInUse)
    return refusal(
      EXIT.tempFail,
      error.message,
      `Der Datenordner ${error.dataDir} wird von Prozess ${error.pid} benutzt: der eingebettete Speicher erlaubt einen Prozess je Ordner. Beenden Sie diesen Prozess, oder geben Sie diesem einen anderen DATA_DIR.`,
    );
  // PGlite ends with an ExitStatus (not an Error), or its WebAssembly traps, when the folder
  // is no database it can open.
  if (
    typeof error === 'object' &&
    error !== null &&
    ['ExitStatus', 'RuntimeError'].includes(String((error as { name?: unknown }).name))
  )
    return refusal(
      EXIT.dataError,
      `The embedded store in DATA_DIR=${dataDir ?? '(unset)'} could not be opened: the folder looks like a database but is damaged or of another version. Restore it from a backup, or set DATA_DIR to a new folder.`,
      `Der eingebettete Speicher in DATA_DIR=${dataDir ?? '(nicht gesetzt)'} ließ sich nicht öffnen: der Ordner sieht wie eine Datenbank aus, ist aber beschädigt oder von einer anderen Version. Stellen Sie ihn aus einer Sicherung wieder her, oder setzen Sie DATA_DIR auf einen neuen Ordner.`,
    );
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES')
    return refusal(
      EXIT.unavailable,
      `calsync cannot listen on HOST and PORT (${String(code)}): the port is taken, or the address is not this machine's, or the port needs privileges. Stop the other process, or set PORT or HOST to another value.`,
      `calsync kann nicht auf HOST und PORT lauschen (${String(code)}): der Port ist belegt, die Adresse gehört nicht zu diesem Rechner, oder der Port braucht Rechte. Beenden Sie den anderen Prozess, oder setzen Sie PORT oder HOST anders.`,
    );
  const reason = reasonOf(error);
  return refusal(
    EXIT.software,
    `Start-up failed unexpectedly (${reason}). This is a bug in calsync: please report it with the log above.`,
    `Der Start ist unerwartet fehlgeschlagen (${reason}). Das ist ein Fehler in calsync: bitte melden Sie ihn mit dem Protokoll oben.`,
  );
}
