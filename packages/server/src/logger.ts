export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFields = Readonly<Record<string, unknown>>;

/** Structured logging: one event name plus fields. Messages are for people, fields for tools. */
export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface JsonLoggerOptions {
  /** @default 'info' */
  level?: LogLevel;
  /** Where each line goes. @default process.stderr */
  write?: (line: string) => void;
  /** @default Date.now */
  now?: () => number;
}

function serialise(value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  return value;
}

/**
 * JSON lines: `{"time":"…","level":"info","event":"listening","url":"…"}`. Errors become
 * `{name, message, code}` so no stack or secret lands in a log shipper by accident.
 *
 * @example
 * const logger = createJsonLogger({ level: 'debug' });
 * logger.info('listening', { url });
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const threshold = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? Date.now;
  const log = (level: LogLevel) => (event: string, fields: LogFields = {}) => {
    if (RANK[level] < threshold) return;
    const entry: Record<string, unknown> = { time: new Date(now()).toISOString(), level, event };
    for (const [key, value] of Object.entries(fields)) entry[key] = serialise(value);
    write(`${JSON.stringify(entry)}\n`);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
