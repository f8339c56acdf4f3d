import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCommand } from '../../../lib/cli.js';
import { command, toConfig, type IngestConfig } from '../../../ingest/config.js';

const required = ['--stream-key-file', '/s/key', '--play-token-file', '/s/token'];

function configOf(argv: string[], env: Record<string, string> = {}): IngestConfig {
  const parsed = parseCommand(command, [...required, ...argv], env);
  if (parsed.help) throw new Error('unexpected --help');
  return toConfig(parsed.options);
}

describe('ingest configuration', () => {
  test('defaults follow the contract: RTMP 1935, RTMPS 1936 only with a certificate, admin 9090', () => {
    const config = configOf([]);
    assert.equal(config.rtmpPort, 1935);
    assert.equal(config.rtmps, undefined);
    assert.equal(config.adminPort, 9090);
    assert.equal(config.takeover, 'stale');
    assert.equal(config.takeoverAfterMs, 2000);
    assert.equal(config.handshakeTimeoutMs, 5000);
    assert.equal(config.idleTimeoutMs, 10000);
    assert.equal(config.slowSubscriber, 'drop');
    assert.equal(config.subscriberQueueBytes, 8 * 1024 * 1024);
  });

  test('environment variables fill what flags leave out', () => {
    const config = configOf([], {
      INGEST_TLS_CERT_FILE: '/tls/tls.crt',
      INGEST_TLS_KEY_FILE: '/tls/tls.key',
      INGEST_TAKEOVER: 'never',
      INGEST_IDLE_TIMEOUT: '30s',
    });
    assert.deepEqual(config.rtmps, { port: 1936, certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' });
    assert.equal(config.takeover, 'never');
    assert.equal(config.idleTimeoutMs, 30000);
  });

  const invalid: [string, string[], Record<string, string>, string][] = [
    [
      'the stream key file is required',
      [],
      {},
      '--stream-key-file (or INGEST_STREAM_KEY_FILE) is required: File holding the stream key encoders must present (the mounted user-facing Secret)',
    ],
    [
      'a certificate without a key',
      ['--tls-cert-file', '/c'],
      {},
      '--tls-cert-file is set but --tls-key-file is not; RTMPS needs both',
    ],
    [
      'a key without a certificate',
      ['--tls-key-file', '/k'],
      {},
      '--tls-key-file is set but --tls-cert-file is not; RTMPS needs both',
    ],
    [
      'no listener at all',
      ['--rtmp-port', '0'],
      {},
      '--rtmp-port is 0 and RTMPS is off: no listener left; set --tls-cert-file and --tls-key-file, or a port',
    ],
    [
      'two listeners on one port',
      ['--admin-port', '1935'],
      {},
      '--rtmp-port and --admin-port are both 1935; each listener needs its own port',
    ],
    [
      'RTMPS on the RTMP port',
      ['--tls-cert-file', '/c', '--tls-key-file', '/k', '--rtmps-port', '1935'],
      {},
      '--rtmp-port and --rtmps-port are both 1935; each listener needs its own port',
    ],
    [
      'an unknown takeover policy',
      ['--takeover', 'sometimes'],
      {},
      '--takeover (INGEST_TAKEOVER), set by flag: "sometimes" is not allowed; choose one of never, stale, always',
    ],
    [
      'a queue bound below 64 KiB',
      [],
      { INGEST_SUBSCRIBER_QUEUE_BYTES: '1000' },
      '--subscriber-queue-bytes (INGEST_SUBSCRIBER_QUEUE_BYTES), set by environment: 1000 is below the minimum 65536',
    ],
    [
      'a duration without a unit it knows',
      ['--idle-timeout', '10 minutes'],
      {},
      '--idle-timeout (INGEST_IDLE_TIMEOUT), set by flag: "10 minutes" is not a duration (examples: 500ms, 5s, 2m, 1h)',
    ],
  ];
  for (const [name, argv, env, message] of invalid) {
    test(`refuses ${name}`, () => {
      const args =
        name === 'the stream key file is required' ? ['--play-token-file', '/t'] : [...required, ...argv];
      assert.throws(
        () => {
          const parsed = parseCommand(command, args, env);
          if (!parsed.help) toConfig(parsed.options);
        },
        (err: Error) => {
          assert.equal(err.message, message);
          assert.equal((err as { code?: string }).code, 'LSO_CONFIG_INVALID');
          return true;
        },
      );
    });
  }

  test('refuses one file for both secrets', () => {
    const parsed = parseCommand(command, ['--stream-key-file', '/s/x', '--play-token-file', '/s/x'], {});
    assert.ok(!parsed.help);
    assert.throws(
      () => toConfig(parsed.options),
      /^ConfigError: --stream-key-file and --play-token-file name the same file; the play token must differ from the stream key$/,
    );
  });
});
