import type { startCalcomSimulator } from '@calsync/calcom-simulator';
import { err, ok, type Result } from 'neverthrow';
import { EXIT, refusal, type StartupRefusal } from './startup-refusal.js';

/** The one thing demo mode takes from the simulator package. */
export type StartDemoSimulator = typeof startCalcomSimulator;

/** How the simulator package is loaded; a test passes its own to play an install without it. */
export type ImportDemoSimulator = () => Promise<{ startCalcomSimulator: StartDemoSimulator }>;

// Loaded only when demo mode runs: the simulator is a development dependency of the server,
// left out of a production install (docs/operations.md, "Production install").
const importSimulator: ImportDemoSimulator = () => import('@calsync/calcom-simulator');

/** Node's words for a package (or a file of it) that is not there; only the simulator's count. */
const isSimulatorMissing = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND' &&
  error instanceof Error &&
  error.message.includes('calcom-simulator');

const firstLine = (error: Error): string => (error.message.split('\n')[0] ?? '').trim().slice(0, 300);

/**
 * Loads the bundled Cal.com simulator for demo mode. An install without it (a production
 * install) is a refusal naming the way out: a configuration file, or the development
 * dependencies. Any other failure to load it is a bug and is thrown.
 */
export async function loadDemoSimulator(
  load: ImportDemoSimulator = importSimulator,
): Promise<Result<StartDemoSimulator, StartupRefusal>> {
  try {
    return ok((await load()).startCalcomSimulator);
  } catch (error) {
    if (!isSimulatorMissing(error) || !(error instanceof Error)) throw error;
    const reason = firstLine(error);
    return err(
      refusal(
        EXIT.config,
        `Demo mode was asked for (CALSYNC_CONFIG is not set), but the bundled Cal.com simulator it runs on is not installed here (${reason}). A production install leaves the simulator out on purpose: it is a development dependency. Set CALSYNC_CONFIG to the path of your configuration file to serve your companies against Cal.com, or install the development dependencies (npx -y pnpm@10 install in a clone of the repository) to try the demo.`,
        `Der Demo-Modus wurde verlangt (CALSYNC_CONFIG ist nicht gesetzt), aber der mitgelieferte Cal.com-Simulator, auf dem er läuft, ist hier nicht installiert (${reason}). Eine Produktionsinstallation lässt den Simulator absichtlich weg: er ist eine Entwicklungsabhängigkeit. Setzen Sie CALSYNC_CONFIG auf den Pfad Ihrer Konfigurationsdatei, um Ihre Firmen mit Cal.com zu verbinden, oder installieren Sie die Entwicklungsabhängigkeiten (npx -y pnpm@10 install in einem Klon des Repositorys), um die Demo auszuprobieren.`,
      ),
    );
  }
}
