// Small typed command-line configuration shared by the three programs: every option is a flag with
// an environment-variable fallback and a default, validated once at start, with `--help` generated
// from the same table. Precedence: flag > environment > default.
import { parseArgs } from 'node:util';
import { ConfigError } from './errors.js';

type OptionType = 'string' | 'number' | 'boolean' | 'duration';
type ValueOf<T extends OptionType> = T extends 'string' ? string : T extends 'boolean' ? boolean : number;

export interface OptionSpec<T extends OptionType = OptionType> {
  type: T;
  description: string;
  /** Environment variable read when the flag is absent. */
  env?: string;
  /** Default value; durations are given as text ("5s"). */
  default?: T extends 'duration' ? string : ValueOf<T>;
  choices?: readonly string[];
  min?: number;
  max?: number;
  /** Must be set (by flag or environment) when there is no default. */
  required?: boolean;
}

export type OptionTable = Record<string, OptionSpec>;
type Present<S extends OptionSpec> = S['default'] extends undefined
  ? S['required'] extends true
    ? ValueOf<S['type']>
    : ValueOf<S['type']> | undefined
  : ValueOf<S['type']>;
export type Options<T extends OptionTable> = { [K in keyof T]: Present<T[K]> };

export interface CommandSpec<T extends OptionTable> {
  name: string;
  summary: string;
  /** Extra paragraphs printed after the option list. */
  epilog?: string;
  options: T;
}

/** Parses durations such as "250ms", "5s", "2m", "1h" (a bare number means milliseconds). */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration (examples: 500ms, 5s, 2m, 1h)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function convert(key: string, spec: OptionSpec, raw: string | boolean, source: string): unknown {
  const where = `--${flagName(key)}${spec.env ? ` (${spec.env})` : ''}, set by ${source}`;
  if (spec.type === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`${where}: "${raw}" is not a boolean (use true or false)`);
  }
  const text = String(raw);
  if (spec.type === 'string') {
    if (spec.choices && !spec.choices.includes(text)) {
      throw new ConfigError(`${where}: "${text}" is not allowed; choose one of ${spec.choices.join(', ')}`);
    }
    return text;
  }
  let value: number;
  if (spec.type === 'duration') {
    try {
      value = parseDuration(text);
    } catch (err) {
      throw new ConfigError(`${where}: ${(err as Error).message}`);
    }
  } else {
    value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value))
      throw new ConfigError(`${where}: "${text}" is not a number`);
  }
  if (spec.min !== undefined && value < spec.min)
    throw new ConfigError(`${where}: ${text} is below the minimum ${spec.min}`);
  if (spec.max !== undefined && value > spec.max)
    throw new ConfigError(`${where}: ${text} is above the maximum ${spec.max}`);
  return value;
}

export function helpText<T extends OptionTable>(command: CommandSpec<T>): string {
  const rows = Object.entries(command.options).map(([key, spec]) => {
    const flag = `--${flagName(key)}${spec.type === 'boolean' ? '' : ` <${spec.type === 'duration' ? 'duration' : spec.type}>`}`;
    const extras = [
      spec.env ? `env ${spec.env}` : '',
      spec.default !== undefined ? `default ${String(spec.default)}` : spec.required ? 'required' : '',
      spec.choices ? `one of ${spec.choices.join('|')}` : '',
    ].filter(Boolean);
    return `  ${flag.padEnd(34)} ${spec.description}${extras.length ? ` [${extras.join('; ')}]` : ''}`;
  });
  return [
    `Usage: ${command.name} [options]`,
    '',
    command.summary,
    '',
    'Options:',
    ...rows,
    `  ${'--help'.padEnd(34)} Print this help and exit`,
    ...(command.epilog ? ['', command.epilog] : []),
    '',
  ].join('\n');
}

/**
 * node:util parseArgs refuses a value on a boolean flag (`--leader-elect=true`), which Helm charts
 * and Kubernetes manifests commonly write; a bare flag (`--leader-elect`) must work too. Boolean flags
 * written `--flag=value` are taken out of argv here and their text is returned separately (converted
 * later with the other values, so `--flag=maybe` fails with the usual message).
 */
export function splitBooleanValues(
  options: OptionTable,
  argv: string[],
): { args: string[]; explicit: Map<string, string> } {
  const booleans = new Set(
    Object.entries(options)
      .filter(([, spec]) => spec.type === 'boolean')
      .map(([key]) => flagName(key)),
  );
  const explicit = new Map<string, string>();
  const args: string[] = [];
  for (const [i, arg] of argv.entries()) {
    if (arg === '--') {
      args.push(...argv.slice(i));
      break;
    }
    const m = /^--([^=]+)=(.*)$/s.exec(arg);
    if (m && booleans.has(m[1]!)) explicit.set(m[1]!, m[2]!);
    else args.push(arg);
  }
  return { args, explicit };
}

export type ParseResult<T extends OptionTable> = { help: true } | { help: false; options: Options<T> };

/** Parses argv (without node and script) and env against the table. Throws ConfigError on bad input. */
export function parseCommand<T extends OptionTable>(
  command: CommandSpec<T>,
  argv: string[],
  env: NodeJS.ProcessEnv,
): ParseResult<T> {
  const parseSpec: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const [key, spec] of Object.entries(command.options)) {
    parseSpec[flagName(key)] = { type: spec.type === 'boolean' ? 'boolean' : 'string' };
  }
  let parsed: ReturnType<typeof parseArgs>;
  const { args, explicit } = splitBooleanValues(command.options, argv);
  try {
    parsed = parseArgs({ args, options: parseSpec, strict: true, allowPositionals: false });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}; run ${command.name} --help for the options`);
  }
  if (parsed.values.help) return { help: true };
  const options: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(command.options)) {
    const fromFlag = explicit.get(flagName(key)) ?? parsed.values[flagName(key)];
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (fromFlag !== undefined) options[key] = convert(key, spec, fromFlag as string | boolean, 'flag');
    else if (fromEnv !== undefined && fromEnv !== '')
      options[key] = convert(key, spec, fromEnv, 'environment');
    else if (spec.default !== undefined)
      options[key] = convert(key, spec, spec.default as string | boolean, 'default');
    else if (spec.required) {
      throw new ConfigError(
        `--${flagName(key)}${spec.env ? ` (or ${spec.env})` : ''} is required: ${spec.description}`,
      );
    }
  }
  return { help: false, options: options as Options<T> };
}

/**
 * Runs a program's main function with the usual conventions: `--help` prints and exits 0, a
 * ConfigError prints its message and exits 2, any other error is printed and exits 1.
 */
export async function runMain<T extends OptionTable>(
  command: CommandSpec<T>,
  main: (options: Options<T>) => Promise<void>,
  argv: string[] = process.argv.slice(2),
): Promise<void> {
  let result: ParseResult<T>;
  try {
    result = parseCommand(command, argv, process.env);
  } catch (err) {
    process.stderr.write(`${command.name}: ${(err as Error).message}\n`);
    process.exit(2);
  }
  if (result.help) {
    process.stdout.write(helpText(command));
    return;
  }
  try {
    await main(result.options);
  } catch (err) {
    const code = err instanceof ConfigError ? 2 : 1;
    process.stderr.write(`${command.name}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(code);
  }
}
