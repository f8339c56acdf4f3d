// Structured JSON logs, one object per line, shared by the operator and the data-plane programs.
// Secrets never reach the output: values registered with `redactValue` and fields whose names say
// they hold a secret are replaced, and so are `key=`/`token=` query parameters inside strings.

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type Fields = Record<string, unknown>;

const levelRank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const REDACTED = '[redacted]';
// Field names whose values are secrets wherever they appear (compared lower-case, without - and _).
const secretFieldNames = new Set([
  'key',
  'streamkey',
  'token',
  'playtoken',
  'password',
  'secret',
  'authorization',
]);
const secretQueryParam = /([?&](?:key|token|sign|secret|password)=)[^&\s"']*/gi;

export interface LoggerOptions {
  level?: Level;
  /** Where lines go; defaults to process.stdout. Tests pass a collector. */
  write?: (line: string) => void;
  /** Exact secret values to scrub from every string (stream keys, tokens). Shared with child loggers. */
  secrets?: Set<string>;
  now?: () => Date;
}

export class Logger {
  private readonly minRank: number;
  private readonly write: (line: string) => void;
  private readonly secrets: Set<string>;
  private readonly now: () => Date;

  constructor(
    private readonly base: Fields = {},
    options: LoggerOptions = {},
  ) {
    this.minRank = levelRank[options.level ?? 'info'];
    this.write = options.write ?? ((line) => process.stdout.write(line));
    this.secrets = options.secrets ?? new Set();
    this.now = options.now ?? (() => new Date());
  }

  /** A logger that adds `fields` to every line and shares this one's level, output and secrets. */
  child(fields: Fields): Logger {
    const level = (Object.keys(levelRank) as Level[]).find((l) => levelRank[l] === this.minRank) ?? 'info';
    return new Logger(
      { ...this.base, ...fields },
      { level, write: this.write, secrets: this.secrets, now: this.now },
    );
  }

  /** Registers a secret value (for example a stream key) so it is scrubbed from every later line. */
  redactValue(value: string | undefined): void {
    if (value && value.length >= 4) this.secrets.add(value);
  }

  forgetValue(value: string | undefined): void {
    if (value) this.secrets.delete(value);
  }

  enabled(level: Level): boolean {
    return levelRank[level] >= this.minRank;
  }

  debug(msg: string, fields?: Fields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: Fields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: Fields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: Fields): void {
    this.log('error', msg, fields);
  }

  log(level: Level, msg: string, fields?: Fields): void {
    if (!this.enabled(level)) return;
    const record = { ts: this.now().toISOString(), level, msg, ...this.base, ...fields };
    this.write(JSON.stringify(record, (name, value) => this.scrub(name, value)) + '\n');
  }

  private scrub(name: string, value: unknown): unknown {
    if (name && secretFieldNames.has(name.toLowerCase().replace(/[-_]/g, '')) && typeof value !== 'object') {
      return value === undefined || value === '' ? value : REDACTED;
    }
    if (value instanceof Error) return errorFields(value);
    if (typeof value !== 'string') return value;
    let out = value.replace(secretQueryParam, `$1${REDACTED}`);
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }
}

function errorFields(err: Error): Fields {
  const fields: Fields = { name: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) fields.code = code;
  if (err.cause !== undefined) fields.cause = err.cause instanceof Error ? errorFields(err.cause) : err.cause;
  return fields;
}

export function parseLevel(value: string | undefined, fallback: Level = 'info'): Level {
  if (value === undefined || value === '') return fallback;
  if (value in levelRank) return value as Level;
  throw new Error(`log level "${value}" is not one of ${Object.keys(levelRank).join(', ')}`);
}
