import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Logger, parseLevel } from '../../../lib/log.js';

function collect(level: 'debug' | 'info' = 'info') {
  const lines: Record<string, unknown>[] = [];
  const log = new Logger(
    { component: 'test' },
    { level, write: (l) => lines.push(JSON.parse(l)), now: () => new Date(0) },
  );
  return { log, lines };
}

describe('Logger', () => {
  test('writes one JSON object per line with time, level, message and base fields', () => {
    const { log, lines } = collect();
    log.info('hello', { stream: 'ns/a' });
    assert.deepEqual(lines, [
      { ts: '1970-01-01T00:00:00.000Z', level: 'info', msg: 'hello', component: 'test', stream: 'ns/a' },
    ]);
  });

  test('drops lines below the configured level', () => {
    const { log, lines } = collect('info');
    log.debug('quiet');
    assert.equal(lines.length, 0);
  });

  test('redacts fields whose names hold secrets, whatever their case or separators', () => {
    const { log, lines } = collect();
    log.info('x', {
      streamKey: 'abcd1234',
      stream_key: 'abcd1234',
      Token: 't0k3n',
      password: 'p',
      name: 'visible',
    });
    assert.deepEqual(
      {
        streamKey: lines[0]?.streamKey,
        stream_key: lines[0]?.stream_key,
        Token: lines[0]?.Token,
        password: lines[0]?.password,
        name: lines[0]?.name,
      },
      {
        streamKey: '[redacted]',
        stream_key: '[redacted]',
        Token: '[redacted]',
        password: '[redacted]',
        name: 'visible',
      },
    );
  });

  test('redacts registered secret values inside any string, also in child loggers', () => {
    const { log, lines } = collect();
    log.redactValue('sk_live_0123456789');
    log
      .child({ conn: 7 })
      .warn('publish rejected for rtmp://h/live/sk_live_0123456789', { path: '/live/sk_live_0123456789' });
    assert.equal(lines[0]?.msg, 'publish rejected for rtmp://h/live/[redacted]');
    assert.equal(lines[0]?.path, '/live/[redacted]');
    assert.equal(lines[0]?.conn, 7);
  });

  test('redacts key and token query parameters in URLs', () => {
    const { log, lines } = collect();
    log.info('pull', { url: 'rtmp://ingest:1935/live/stream?token=abc&x=1&key=zzz' });
    assert.equal(lines[0]?.url, 'rtmp://ingest:1935/live/stream?token=[redacted]&x=1&key=[redacted]');
  });

  test('serialises errors with name, message, code and cause', () => {
    const { log, lines } = collect();
    const err = Object.assign(new Error('boom', { cause: new Error('root') }), { code: 'E1' });
    log.error('failed', { err });
    assert.deepEqual(lines[0]?.err, {
      name: 'Error',
      message: 'boom',
      code: 'E1',
      cause: { name: 'Error', message: 'root' },
    });
  });
});

describe('parseLevel', () => {
  test('accepts known levels and names the allowed ones otherwise', () => {
    assert.equal(parseLevel('debug'), 'debug');
    assert.equal(parseLevel(undefined), 'info');
    assert.throws(() => parseLevel('loud'), /log level "loud" is not one of debug, info, warn, error/);
  });
});
