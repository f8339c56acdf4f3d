import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { helpText, parseCommand, parseDuration } from '../../../lib/cli.js';

const command = {
  name: 'prog',
  summary: 'Does things.',
  options: {
    port: { type: 'number', description: 'Port', env: 'PROG_PORT', default: 1935, min: 1, max: 65535 },
    mode: { type: 'string', description: 'Mode', choices: ['a', 'b'], default: 'a' },
    idle: { type: 'duration', description: 'Idle timeout', default: '30s' },
    verbose: { type: 'boolean', description: 'Verbose', env: 'PROG_VERBOSE', default: false },
    secretFile: { type: 'string', description: 'Key file', env: 'PROG_KEY_FILE', required: true },
  },
} as const;

function parse(argv: string[], env: Record<string, string> = {}) {
  const result = parseCommand(command, argv, env);
  assert.equal(result.help, false);
  return (result as { options: Record<string, unknown> }).options;
}

describe('parseCommand', () => {
  test('flags beat environment, environment beats defaults', () => {
    assert.equal(parse(['--secret-file', 'f', '--port', '2000'], { PROG_PORT: '3000' }).port, 2000);
    assert.equal(parse(['--secret-file', 'f'], { PROG_PORT: '3000' }).port, 3000);
    assert.equal(parse(['--secret-file', 'f']).port, 1935);
  });

  test('converts durations and booleans', () => {
    const o = parse(['--idle', '2m', '--verbose'], { PROG_KEY_FILE: 'k' });
    assert.equal(o.idle, 120_000);
    assert.equal(o.verbose, true);
    assert.equal(parse([], { PROG_KEY_FILE: 'k', PROG_VERBOSE: 'false' }).verbose, false);
  });

  test('a boolean flag is on when given bare or as --flag=true, off as --flag=false', () => {
    const env = { PROG_KEY_FILE: 'k' };
    assert.equal(parse(['--verbose'], env).verbose, true);
    assert.equal(parse(['--verbose=true'], env).verbose, true);
    assert.equal(parse(['--verbose=false'], env).verbose, false);
    assert.equal(parse(['--verbose=false'], { ...env, PROG_VERBOSE: 'true' }).verbose, false);
    assert.throws(
      () => parse(['--verbose=maybe'], env),
      /--verbose \(PROG_VERBOSE\), set by flag: "maybe" is not a boolean/,
    );
  });

  test('bad values name the flag, the variable, where the value came from and what is allowed', () => {
    assert.throws(
      () => parse(['--secret-file', 'f', '--port', 'x']),
      /--port \(PROG_PORT\), set by flag: "x" is not a number/,
    );
    assert.throws(
      () => parse(['--secret-file', 'f'], { PROG_PORT: '70000' }),
      /set by environment: 70000 is above the maximum 65535/,
    );
    assert.throws(
      () => parse(['--secret-file', 'f', '--mode', 'c']),
      /"c" is not allowed; choose one of a, b/,
    );
    assert.throws(() => parse([]), /--secret-file \(or PROG_KEY_FILE\) is required/);
    assert.throws(() => parse(['--nope']), /Unknown option '--nope'; run prog --help/);
  });

  test('--help wins over everything else', () => {
    assert.deepEqual(parseCommand(command, ['--help', '--port', 'x'], {}), { help: true });
  });
});

test('helpText lists every option with its variable and default', () => {
  const text = helpText(command);
  assert.match(text, /--port <number> +Port \[env PROG_PORT; default 1935\]/);
  assert.match(text, /--secret-file <string> +Key file \[env PROG_KEY_FILE; required\]/);
});

test('parseDuration understands ms, s, m and h', () => {
  assert.deepEqual(
    ['250ms', '5s', '1.5m', '1h', '40'].map(parseDuration),
    [250, 5000, 90_000, 3_600_000, 40],
  );
  assert.throws(() => parseDuration('5 minutes'), /is not a duration/);
});
