import type { LogLevel, LogMetadata, Logger } from '@temporalio/worker';

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** One JSON object per line on stderr, with the SDK's metadata (workflow and run ids, activity type). */
export class JsonLogger implements Logger {
  constructor(
    private readonly minLevel: LogLevel,
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
  ) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (LEVELS.indexOf(level) < LEVELS.indexOf(this.minLevel)) return;
    this.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...meta }, errorsAsText)}\n`);
  }
  trace(message: string, meta?: LogMetadata) {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata) {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata) {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata) {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata) {
    this.log('ERROR', message, meta);
  }
}

/** Errors (also those from the workflow sandbox, another realm) as name and message. */
function errorsAsText(_key: string, value: unknown): unknown {
  if (value instanceof Error || (value && typeof value === 'object' && 'message' in value && 'stack' in value)) {
    const e = value as Error;
    return { name: e.name, message: e.message };
  }
  return value;
}
