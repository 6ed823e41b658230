import { parseArgs } from 'node:util';
import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';

export const USAGE = `Usage: calsync reconcile --company <id> [--check | --apply] [options]

Reconciles the company's Cal.com team through a running calsync server and prints what it found.

  --company <id>    the company to reconcile (its token must be the one sent)
  --check           report what apply would do; record no service event (the default)
  --apply           record divergences and missing event types
  --url <url>       the calsync server (default http://127.0.0.1:3000, or CALSYNC_URL)
  --token <token>   the company's bearer token (default: CALSYNC_TOKEN)
  --json            print the run as JSON instead of a table
  --timeout <s>     give up waiting after this many seconds (default 600)

Exit codes: 0 nothing needs attention, 1 findings, 2 the run was aborted, 3 usage or connection error.`;

export interface ReconcileOptions {
  command: 'reconcile';
  company: string;
  mode: 'check' | 'apply';
  url: string;
  token: string;
  json: boolean;
  timeoutMs: number;
}

export type CliRequest = ReconcileOptions | { command: 'help' };

const optionsSchema = z.object({
  company: z.string({ error: '--company <id> is required' }).min(1, '--company <id> is required'),
  url: z.url('--url must be a URL such as http://127.0.0.1:3000'),
  token: z
    .string({ error: 'a token is required: pass --token or set CALSYNC_TOKEN' })
    .min(1, 'a token is required: pass --token or set CALSYNC_TOKEN'),
  timeout: z.coerce.number('--timeout must be a number of seconds').positive('--timeout must be positive'),
});

/** The command line, validated; a usage error says what is wrong. */
export function parseCliArguments(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): Result<CliRequest, string> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        company: { type: 'string' },
        check: { type: 'boolean' },
        apply: { type: 'boolean' },
        url: { type: 'string' },
        token: { type: 'string' },
        json: { type: 'boolean' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (cause) {
    return err(cause instanceof Error ? cause.message : String(cause));
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) return ok({ command: 'help' });
  const [command, ...rest] = positionals;
  if (command !== 'reconcile') return err(`unknown command "${command}"; the only command is "reconcile"`);
  if (rest.length > 0) return err(`unexpected argument "${rest[0]}"`);
  if (values.check && values.apply) return err('choose one of --check and --apply');
  const options = optionsSchema.safeParse({
    company: values.company,
    url: values.url ?? env.CALSYNC_URL ?? 'http://127.0.0.1:3000',
    token: values.token ?? env.CALSYNC_TOKEN,
    timeout: values.timeout ?? 600,
  });
  if (!options.success) return err(options.error.issues.map((issue) => issue.message).join('; '));
  return ok({
    command: 'reconcile',
    company: options.data.company,
    mode: values.apply ? 'apply' : 'check',
    url: options.data.url.replace(/\/+$/, ''),
    token: options.data.token,
    json: values.json === true,
    timeoutMs: options.data.timeout * 1000,
  });
}
