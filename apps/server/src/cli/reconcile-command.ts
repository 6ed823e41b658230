import { z } from 'zod';
import { runStartedSchema, runViewSchema } from '../http/schemas/run-schemas.js';
import type { ReconcileOptions } from './cli-arguments.js';
import { EXIT, exitCodeOf, formatRunSummary, type RunViewBody } from './run-summary.js';

/** What the command touches: injected so that tests drive it against an in-process server. */
export interface CliIo {
  fetch: typeof fetch;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  /** Waits between two looks at a running run. */
  sleep(ms: number): Promise<void>;
  now(): number;
}

const POLL_MS = 500;
const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

class CliFailure extends Error {}

async function call(
  io: CliIo,
  options: ReconcileOptions,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
) {
  let response: Response;
  try {
    response = await io.fetch(`${options.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (cause) {
    const detail =
      cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : '';
    throw new CliFailure(
      `cannot reach calsync at ${options.url} (${detail}). Is the server running? Pass --url.`,
    );
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliFailure(`${method} ${path} answered ${response.status} with a body that is not JSON.`);
  }
  if (!response.ok) {
    const error = errorBodySchema.safeParse(json);
    throw new CliFailure(
      error.success
        ? `${method} ${path} answered ${response.status} ${error.data.error.code}: ${error.data.error.message}`
        : `${method} ${path} answered ${response.status}.`,
    );
  }
  return json;
}

function parsed<T>(schema: z.ZodType<T>, json: unknown, what: string): T {
  const result = schema.safeParse(json);
  if (!result.success)
    throw new CliFailure(`the server's ${what} has an unexpected shape: ${result.error.message}`);
  return result.data;
}

/** Progress on stderr: a redrawn line on a terminal, one line per change of state otherwise. */
function progress(io: CliIo, options: ReconcileOptions) {
  const began = io.now();
  let shown = '';
  return {
    update(run: { runId: string; state: string }) {
      const seconds = ((io.now() - began) / 1000).toFixed(1);
      const line = `reconcile ${options.company} (${options.mode}) run ${run.runId}: ${run.state}`;
      if (io.stderr.isTTY) {
        io.stderr.write(`\r\x1b[2K${line} ${seconds} s`);
        if (run.state !== 'running') io.stderr.write('\n');
      } else if (line !== shown) {
        io.stderr.write(`${line}\n`);
      }
      shown = line;
    },
  };
}

/** POSTs a run, follows it until it ends, prints the summary, and returns the exit code. */
export async function reconcileCommand(options: ReconcileOptions, io: CliIo): Promise<number> {
  const deadlineAt = io.now() + options.timeoutMs;
  try {
    const started = parsed(
      runStartedSchema,
      await call(io, options, 'POST', '/v1/reconciliations', { mode: options.mode }),
      'answer to POST /v1/reconciliations',
    );
    if (started.alreadyRunning) {
      io.stderr.write(`a run of this team was already under way; following run ${started.runId}\n`);
    }
    const display = progress(io, options);
    display.update({ runId: started.runId, state: 'started' });
    const path = `/v1/reconciliations/${encodeURIComponent(started.runId)}`;
    let run: RunViewBody;
    for (;;) {
      run = parsed(runViewSchema, await call(io, options, 'GET', path), `answer to GET ${path}`);
      if (run.companyId !== options.company) {
        throw new CliFailure(
          `the token belongs to company "${run.companyId}", not "${options.company}" (run ${run.runId} reconciles "${run.companyId}"). Use that company's token.`,
        );
      }
      display.update(run);
      if (run.state !== 'running') break;
      if (io.now() >= deadlineAt) {
        throw new CliFailure(
          `run ${run.runId} is still running after ${options.timeoutMs / 1000} s; look at it with GET ${path}.`,
        );
      }
      await io.sleep(POLL_MS);
    }
    io.stdout.write(options.json ? `${JSON.stringify(run, null, 2)}\n` : formatRunSummary(run));
    return exitCodeOf(run);
  } catch (error) {
    if (!(error instanceof CliFailure)) throw error;
    io.stderr.write(`calsync: ${error.message}\n`);
    return EXIT.failure;
  }
}
