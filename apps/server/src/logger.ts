import pino, { type DestinationStream, type Logger } from 'pino';

/** Paths whose values never reach a log line: tokens, API keys, webhook secrets, signatures. */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers["x-cal-signature-256"]',
  'req.headers.cookie',
  'headers.authorization',
  'apiKey',
  'webhookSecret',
  'token',
  '*.apiKey',
  '*.webhookSecret',
  '*.token',
  '*.authorization',
  'config.companies[*].calcom.apiKey',
  'config.companies[*].calcom.webhookSecret',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'calsync' },
      redact: { paths: redactedPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
