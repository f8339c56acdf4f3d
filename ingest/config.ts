// The ingest's configuration: every option is a flag with an INGEST_* environment fallback (see
// `livestream-ingest --help` and docs/ingest.md); cross-field rules are checked here with messages
// that name the flags.
import { readFileSync } from 'node:fs';
import type { CommandSpec, OptionTable, Options } from '../lib/cli.js';
import { ConfigError } from '../lib/errors.js';
import type { TakeoverPolicy } from './rtmp/stream.js';
import type { SlowSubscriberPolicy } from './rtmp/write-policy.js';

const MiB = 1024 * 1024;

export const command = {
  name: 'livestream-ingest',
  summary:
    'RTMP(S) ingest for one LiveStream: stream-key auth, one publisher, live state and metrics (node-media-server underneath).\n' +
    'Encoders publish to rtmp://<host>:<rtmp-port>/live/<stream key> (or /live/<name>?key=<stream key>);\n' +
    'the transcoder pulls rtmp://<host>:<rtmp-port>/live/stream?token=<play token>.',
  epilog:
    'Admin endpoints on --admin-port: /status (JSON, type IngestStatus), /healthz, /readyz, /metrics.\n' +
    'The stream key and play token files are re-read every --secret-poll-interval; a changed key ends\n' +
    'the current publish, a changed token ends the current subscriptions. Nothing is written to disk.',
  options: {
    streamKeyFile: {
      type: 'string',
      env: 'INGEST_STREAM_KEY_FILE',
      required: true,
      description: 'File holding the stream key encoders must present (the mounted user-facing Secret)',
    },
    playTokenFile: {
      type: 'string',
      env: 'INGEST_PLAY_TOKEN_FILE',
      required: true,
      description: 'File holding the token pullers must present as ?token= (the internal Secret)',
    },
    bind: {
      type: 'string',
      env: 'INGEST_BIND',
      default: '',
      description: 'Address the RTMP(S) listeners bind to; empty means every interface',
    },
    rtmpPort: {
      type: 'number',
      env: 'INGEST_RTMP_PORT',
      default: 1935,
      min: 0,
      max: 65535,
      description: 'Plain RTMP port; 0 turns plain RTMP off',
    },
    rtmpsPort: {
      type: 'number',
      env: 'INGEST_RTMPS_PORT',
      default: 1936,
      min: 1,
      max: 65535,
      description: 'RTMPS port, used when a certificate is given',
    },
    tlsCertFile: {
      type: 'string',
      env: 'INGEST_TLS_CERT_FILE',
      description:
        'PEM certificate chain for RTMPS (tls.crt of a kubernetes.io/tls Secret); re-read on change',
    },
    tlsKeyFile: {
      type: 'string',
      env: 'INGEST_TLS_KEY_FILE',
      description: 'PEM private key for RTMPS (tls.key); re-read on change',
    },
    adminBind: {
      type: 'string',
      env: 'INGEST_ADMIN_BIND',
      default: '',
      description: 'Address the admin HTTP server binds to; empty means every interface',
    },
    adminPort: {
      type: 'number',
      env: 'INGEST_ADMIN_PORT',
      default: 9090,
      min: 0,
      max: 65535,
      description: 'Admin HTTP port (/status /healthz /readyz /metrics)',
    },
    takeover: {
      type: 'string',
      env: 'INGEST_TAKEOVER',
      default: 'stale',
      choices: ['never', 'stale', 'always'],
      description:
        'When a second publisher with the right key may replace the current one: never; stale (the current one sent nothing for --takeover-after); always',
    },
    takeoverAfter: {
      type: 'duration',
      env: 'INGEST_TAKEOVER_AFTER',
      default: '2s',
      min: 100,
      description: 'Silence after which the current publisher counts as dead (takeover policy stale)',
    },
    handshakeTimeout: {
      type: 'duration',
      env: 'INGEST_HANDSHAKE_TIMEOUT',
      default: '5s',
      min: 100,
      description: 'Time a new connection has to complete the handshake and publish or play',
    },
    idleTimeout: {
      type: 'duration',
      env: 'INGEST_IDLE_TIMEOUT',
      default: '10s',
      min: 100,
      description:
        'A publisher that sends nothing, or a subscriber that reads nothing, for this long is closed',
    },
    maxConnections: {
      type: 'number',
      env: 'INGEST_MAX_CONNECTIONS',
      default: 64,
      min: 2,
      max: 100000,
      description: 'Open RTMP(S) connections allowed at once; more are closed on accept',
    },
    maxSubscribers: {
      type: 'number',
      env: 'INGEST_MAX_SUBSCRIBERS',
      default: 8,
      min: 1,
      max: 10000,
      description: 'Subscribers (pulls) allowed at once',
    },
    subscriberQueueBytes: {
      type: 'number',
      env: 'INGEST_SUBSCRIBER_QUEUE_BYTES',
      default: 8 * MiB,
      min: 64 * 1024,
      max: 1024 * MiB,
      description: 'Bytes the ingest may hold for one subscriber that reads too slowly',
    },
    slowSubscriber: {
      type: 'string',
      env: 'INGEST_SLOW_SUBSCRIBER',
      default: 'drop',
      choices: ['drop', 'disconnect'],
      description:
        'What happens when a subscriber queue is full: drop frames until it drains and a keyframe comes, or disconnect it',
    },
    secretPollInterval: {
      type: 'duration',
      env: 'INGEST_SECRET_POLL_INTERVAL',
      default: '2s',
      min: 100,
      description: 'How often the key, token and certificate files are checked for changes',
    },
    shutdownTimeout: {
      type: 'duration',
      env: 'INGEST_SHUTDOWN_TIMEOUT',
      default: '10s',
      min: 100,
      description:
        'Time SIGTERM waits for connections to close before exiting anyway (keep below the pod grace period)',
    },
    logLevel: {
      type: 'string',
      env: 'INGEST_LOG_LEVEL',
      default: 'info',
      choices: ['debug', 'info', 'warn', 'error'],
      description: 'Least severe log level written',
    },
  },
} as const satisfies CommandSpec<OptionTable>;

export type IngestOptions = Options<typeof command.options>;

export interface IngestConfig {
  streamKeyFile: string;
  playTokenFile: string;
  bind: string;
  rtmpPort: number;
  rtmps: { port: number; certFile: string; keyFile: string } | undefined;
  adminBind: string;
  adminPort: number;
  takeover: TakeoverPolicy;
  takeoverAfterMs: number;
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
  maxSubscribers: number;
  subscriberQueueBytes: number;
  slowSubscriber: SlowSubscriberPolicy;
  secretPollIntervalMs: number;
  shutdownTimeoutMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** Checks the rules that span several options and returns the typed configuration. */
export function toConfig(o: IngestOptions): IngestConfig {
  if ((o.tlsCertFile === undefined) !== (o.tlsKeyFile === undefined)) {
    const [set, missing] =
      o.tlsCertFile === undefined
        ? ['--tls-key-file', '--tls-cert-file']
        : ['--tls-cert-file', '--tls-key-file'];
    throw new ConfigError(`${set} is set but ${missing} is not; RTMPS needs both`);
  }
  const rtmps =
    o.tlsCertFile !== undefined && o.tlsKeyFile !== undefined
      ? { port: o.rtmpsPort, certFile: o.tlsCertFile, keyFile: o.tlsKeyFile }
      : undefined;
  if (o.rtmpPort === 0 && !rtmps) {
    throw new ConfigError(
      '--rtmp-port is 0 and RTMPS is off: no listener left; set --tls-cert-file and --tls-key-file, or a port',
    );
  }
  const ports: [string, number][] = [
    ['--rtmp-port', o.rtmpPort],
    ['--admin-port', o.adminPort],
    ...(rtmps ? ([['--rtmps-port', rtmps.port]] as [string, number][]) : []),
  ];
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      const [a, pa] = ports[i]!;
      const [b, pb] = ports[j]!;
      if (pa !== 0 && pa === pb)
        throw new ConfigError(`${a} and ${b} are both ${pa}; each listener needs its own port`);
    }
  }
  if (o.streamKeyFile === o.playTokenFile) {
    throw new ConfigError(
      '--stream-key-file and --play-token-file name the same file; the play token must differ from the stream key',
    );
  }
  return {
    streamKeyFile: o.streamKeyFile,
    playTokenFile: o.playTokenFile,
    bind: o.bind,
    rtmpPort: o.rtmpPort,
    rtmps,
    adminBind: o.adminBind,
    adminPort: o.adminPort,
    takeover: o.takeover as TakeoverPolicy,
    takeoverAfterMs: o.takeoverAfter,
    handshakeTimeoutMs: o.handshakeTimeout,
    idleTimeoutMs: o.idleTimeout,
    maxConnections: o.maxConnections,
    maxSubscribers: o.maxSubscribers,
    subscriberQueueBytes: o.subscriberQueueBytes,
    slowSubscriber: o.slowSubscriber as SlowSubscriberPolicy,
    secretPollIntervalMs: o.secretPollInterval,
    shutdownTimeoutMs: o.shutdownTimeout,
    logLevel: o.logLevel as IngestConfig['logLevel'],
  };
}

/** Reads the RTMPS certificate and key; a missing or unreadable file is a configuration error. */
export function readTlsFiles(rtmps: { certFile: string; keyFile: string }): { cert: Buffer; key: Buffer } {
  const read = (flag: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ConfigError(
        `${flag} ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
  };
  return { cert: read('--tls-cert-file', rtmps.certFile), key: read('--tls-key-file', rtmps.keyFile) };
}
