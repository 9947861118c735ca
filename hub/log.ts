/** Logging: winston for the running hub, a tiny interface for everything that logs. */
import winston from 'winston';

export interface Logger {
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
}

export interface LogOptions {
  level?: string;
  file?: string;
  /** false: no console output (tests). */
  console?: boolean;
  /** Receives every line as well (tests, demo). */
  sink?: (level: string, message: string, meta: Record<string, unknown>) => void;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const transports: winston.transport[] = [];
  if (opts.console !== false) {
    transports.push(
      new winston.transports.Console({
        format: winston.format.combine(
          winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
          winston.format.printf((i) => `${String(i.timestamp)} ${i.level.padEnd(5)} ${String(i.message)}`),
        ),
      }),
    );
  }
  if (opts.file) {
    transports.push(new winston.transports.File({ filename: opts.file, format: winston.format.combine(winston.format.timestamp(), winston.format.json()) }));
  }
  const w = transports.length ? winston.createLogger({ level: opts.level ?? 'info', transports }) : undefined;
  const order = ['error', 'warn', 'info', 'debug'];
  const threshold = order.indexOf(opts.level ?? 'info');
  const emit = (level: 'error' | 'warn' | 'info' | 'debug') => (message: string, meta: Record<string, unknown> = {}) => {
    if (order.indexOf(level) > threshold) return;
    w?.log(level, message, meta);
    opts.sink?.(level, message, meta);
  };
  return { error: emit('error'), warn: emit('warn'), info: emit('info'), debug: emit('debug') };
}

/** A logger that keeps lines in memory; for tests. */
export function memoryLogger(level = 'debug'): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const logger = createLogger({ level, console: false, sink: (l, m) => lines.push({ level: l, message: m }) });
  return Object.assign(logger, { lines });
}
