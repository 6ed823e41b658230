/**
 * Exit codes of sysexits.h, so that service managers and scripts can tell a bad
 * configuration from an outage (docs/operations.md, "Start-up refusals").
 */
export const EXIT = {
  /** The data in DATA_DIR looks like a database but cannot be read as calsync's store. */
  dataError: 65,
  /** The store (DATABASE_URL, EVENTSTORE_URL) does not answer. */
  unavailable: 69,
  /** A bug: start-up failed in a way calsync does not know yet. */
  software: 70,
  /** DATA_DIR cannot be created or written. */
  cannotCreate: 73,
  /** Another calsync process holds DATA_DIR; try again once it stopped. */
  tempFail: 75,
  /** The operating system or the database refused us (permissions, password). */
  noPermission: 77,
  /** The configuration points somewhere wrong (bad keys, a folder or schema that is not calsync's). */
  config: 78,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * calsync refuses to start: what happened, why, and what to do next, in English and in
 * German, and the exit code. Never carries a stack trace.
 */
export interface StartupRefusal {
  readonly exitCode: ExitCode;
  readonly english: string;
  readonly german: string;
}

export const refusal = (exitCode: ExitCode, english: string, german: string): StartupRefusal => ({
  exitCode,
  english,
  german,
});

/**
 * A refusal carried as an exception, where start-up has no Result to return it in
 * (`startServer`); `describeStartupFailure` hands it back unchanged.
 */
export class StartupRefusedError extends Error {
  constructor(readonly refusal: StartupRefusal) {
    super(refusal.english);
    this.name = 'StartupRefusedError';
  }
}

/** The text printed on stderr: both languages, each on its own lines. */
export const formatRefusal = (refused: StartupRefusal): string =>
  `calsync did not start.\n${refused.english}\n\ncalsync wurde nicht gestartet.\n${refused.german}\n`;

/** Keeps a password out of what is printed: `postgres://user@host:port/db`. */
export const redactUrl = (url: string): string => {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return '(an unreadable URL)';
  }
};
