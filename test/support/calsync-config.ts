import { type AppConfig, loadConfig } from '@calsync/server';

/**
 * A validated configuration as calsync loads it from CALSYNC_CONFIG (docs/operations.md), for
 * harnesses that run the composition root in process: `file` is the configuration file's content.
 */
export function calsyncConfig(file: Record<string, unknown>): AppConfig {
  const loaded = loadConfig({ CALSYNC_CONFIG: 'calsync.json', LOG_LEVEL: 'silent' }, () =>
    JSON.stringify(file),
  );
  if (loaded.isErr()) throw new Error(`the test configuration is invalid: ${loaded.error.message}`);
  return loaded.value;
}
