import { type Runtime, resolveRuntime } from './runtime.js';

/**
 * Structured logs: one event name plus fields, written as one JSON object per line, so journald,
 * log shippers and `jq` read them alike. Messages are for people, fields for tools; fields never
 * hold payloads, keys or credentials.
 */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

export interface JsonLoggerOptions {
  /** @default 'info' */
  level?: LogLevel;
  /** Receives each line, without its newline. @default console.error */
  write?: (line: string) => void;
  /** The clock stamps each line's `time`. @default the system clock */
  runtime?: Partial<Runtime>;
}

/** Errors become `{name, code?, message}`: no stack or secret lands in a log by accident. */
function describeError(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const code = (value as { code?: unknown }).code;
  return code === undefined ? { name: value.name, message: value.message } : { name: value.name, code, message: value.message };
}

/**
 * @example
 * const logger = createJsonLogger({ level: 'debug', write: (line) => process.stderr.write(`${line}\n`) });
 * logger.info('listening', { url }); // {"time":"…","level":"info","event":"listening","url":"…"}
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? 'info');
  const write = options.write ?? ((line: string) => console.error(line));
  const { clock } = resolveRuntime(options.runtime);
  const log = (level: LogLevel) => (event: string, fields: LogFields = {}) => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    const entry: Record<string, unknown> = { time: new Date(clock.now()).toISOString(), level, event };
    for (const [key, value] of Object.entries(fields)) entry[key] = describeError(value);
    write(JSON.stringify(entry));
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
