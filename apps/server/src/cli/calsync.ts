#!/usr/bin/env node
import { setTimeout as sleep } from 'node:timers/promises';
import { parseCliArguments, USAGE } from './cli-arguments.js';
import { reconcileCommand } from './reconcile-command.js';
import { EXIT } from './run-summary.js';

/** `calsync reconcile --company <id> [--check|--apply]`: talks to a running server over HTTP. */
const request = parseCliArguments(process.argv.slice(2), process.env);
if (request.isErr()) {
  process.stderr.write(`calsync: ${request.error}\n\n${USAGE}\n`);
  process.exitCode = EXIT.failure;
} else if (request.value.command === 'help') {
  process.stdout.write(`${USAGE}\n`);
} else {
  process.exitCode = await reconcileCommand(request.value, {
    fetch: globalThis.fetch,
    stdout: process.stdout,
    stderr: process.stderr,
    sleep: (ms) => sleep(ms),
    now: () => Date.now(),
  });
}
