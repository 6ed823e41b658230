import { describe, expect, it } from 'vitest';
import {
  describeStartupFailure,
  EXIT,
  formatRefusal,
  type ImportDemoSimulator,
  loadDemoSimulator,
  StartupRefusedError,
} from '../src/startup/index.js';

/** What Node throws for `import('@calsync/calcom-simulator')` where the package is not installed. */
const notInstalled = (name: string): ImportDemoSimulator => {
  const missing = Object.assign(
    new Error(`Cannot find package '${name}' imported from /opt/calsync/dist/startup/load-demo-simulator.js`),
    { code: 'ERR_MODULE_NOT_FOUND' },
  );
  return () => Promise.reject(missing);
};

describe('demo mode and the bundled Cal.com simulator', () => {
  it('loads the simulator where the development dependencies are installed', async () => {
    const start = await loadDemoSimulator();

    expect(start.isOk()).toBe(true);
    const simulator = await start._unsafeUnwrap()({});
    try {
      expect(simulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v2$/);
    } finally {
      await simulator.close();
    }
  });

  it('refuses with EX_CONFIG in English and German where a production install left the simulator out', async () => {
    const start = await loadDemoSimulator(notInstalled('@calsync/calcom-simulator'));

    const refused = start._unsafeUnwrapErr();
    expect(refused.exitCode).toBe(EXIT.config);
    const printed = formatRefusal(refused);
    expect(printed).toContain('Demo mode was asked for (CALSYNC_CONFIG is not set)');
    expect(printed).toContain("Cannot find package '@calsync/calcom-simulator'");
    expect(printed).toContain('Set CALSYNC_CONFIG');
    expect(printed).toContain('install the development dependencies');
    expect(printed).toContain('Der Demo-Modus wurde verlangt (CALSYNC_CONFIG ist nicht gesetzt)');
    expect(printed).toContain('installieren Sie die Entwicklungsabhängigkeiten');
  });

  it('treats another missing package as a bug, not as a missing simulator', async () => {
    await expect(loadDemoSimulator(notInstalled('left-pad'))).rejects.toThrow(
      "Cannot find package 'left-pad'",
    );
  });

  it('hands a refusal thrown through startServer back unchanged as the start-up failure', async () => {
    const refused = (await loadDemoSimulator(notInstalled('@calsync/calcom-simulator')))._unsafeUnwrapErr();

    expect(describeStartupFailure(new StartupRefusedError(refused))).toBe(refused);
  });
});
