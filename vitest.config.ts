import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests run against the TypeScript sources of the workspace packages, never a stale dist/.
const alias = {
  '@calsync/domain': src('./packages/domain/src/index.ts'),
  '@calsync/eventstore': src('./packages/eventstore/src/index.ts'),
  '@calsync/calcom': src('./packages/calcom/src/index.ts'),
  '@calsync/calcom-simulator': src('./apps/calcom-simulator/src/index.ts'),
  '@calsync/server': src('./apps/server/src/index.ts'),
};

const reporters: string[] = ['default'];
if (process.env.CALSYNC_TEST_REPORT) reporters.push('json');

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['{packages,apps}/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters,
    outputFile: process.env.CALSYNC_TEST_REPORT ? { json: process.env.CALSYNC_TEST_REPORT } : undefined,
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts'],
      exclude: ['**/*.test.ts', '**/index.ts'],
      reporter: ['text-summary', 'text'],
      thresholds: {
        'packages/domain/src/**/*.ts': { lines: 90 },
      },
    },
  },
});
