import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * One logger factory for every service (shared with Fastify). Logs are JSON on stderr; child loggers
 * carry service, role, topic and partition. Never log identifiers or payloads: use counts and codes.
 */
export function createLogger(
  options: {
    level?: string;
    name?: string;
    pretty?: boolean;
    /** Where JSON lines go instead of stderr (tests read them). */
    destination?: { write(line: string): void };
  } = {},
): Logger {
  return pino(
    {
      name: options.name ?? 'passage',
      level: options.level ?? process.env.PASSAGE_LOG_LEVEL ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['*.id', '*.plate', '*.token', '*.password', '*.key'], censor: '[redacted]' },
    },
    options.destination ?? pino.destination(2),
  );
}
