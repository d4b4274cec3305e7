/** Structured logs: one JSON object per line on stdout. */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type Level = keyof typeof LEVELS;

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
}

export function formatEntry(level: Level, logger: string, service: string, message: string, fields: Fields = {}): string {
  return JSON.stringify({ time: new Date().toISOString(), level, logger, message, service, ...fields }, (_key, value) =>
    value instanceof Error ? { name: value.name, message: value.message } : value,
  );
}

export function createLogger(
  name: string,
  service: string,
  level: string = 'info',
  write: (line: string) => void = line => process.stdout.write(`${line}\n`),
): Logger {
  const threshold = LEVELS[(level.toLowerCase() as Level)] ?? LEVELS.info;
  const log = (lvl: Level) => (message: string, fields?: Fields) => {
    if (LEVELS[lvl] >= threshold) write(formatEntry(lvl, name, service, message, fields));
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
