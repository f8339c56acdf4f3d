// Names of a LiveStream's children, in one place: the builders, the operator and its CLI use them.
import type { LiveStream } from '../api/v1alpha1/index.js';

type Named = Pick<LiveStream, 'metadata'>;
const n = (s: Named) => s.metadata.name ?? '';

export const names = {
  ingest: (s: Named) => `${n(s)}-ingest`,
  transcoder: (s: Named) => `${n(s)}-transcoder`,
  /** What encoders publish to (type and annotations from spec.ingest.service). */
  ingestService: (s: Named) => `${n(s)}-ingest`,
  /** ClusterIP, RTMP 1935 and admin 9090: the transcoder's pull and the operator's status reads. */
  ingestInternalService: (s: Named) => `${n(s)}-ingest-internal`,
  playbackService: (s: Named) => `${n(s)}-playback`,
  transcoderConfig: (s: Named) => `${n(s)}-transcoder`,
  /** The generated stream key (when spec.ingest.streamKeySecretRef is unset). */
  streamKeySecret: (s: Named) => `${n(s)}-stream-key`,
  /** The internal play token only the ingest and the transcoder mount. */
  playToken: (s: Named) => `${n(s)}-play-token`,
};

/** Container ports, shared by Deployments, Services and URLs. */
export const ports = { rtmp: 1935, rtmps: 1936, admin: 9090, http: 8080 } as const;

/** Where things are mounted in the data-plane containers. */
export const paths = {
  streamKeyDir: '/etc/livestream/key',
  streamKeyFile: '/etc/livestream/key/key',
  playTokenDir: '/etc/livestream/token',
  playTokenFile: '/etc/livestream/token/token',
  tlsDir: '/etc/livestream/tls',
  configDir: '/etc/livestream/transcoder',
  configFile: '/etc/livestream/transcoder/transcoder.yaml',
  output: '/var/lib/livestream/output',
  tmp: '/tmp',
} as const;

/** Keys inside the operator's Secrets and ConfigMap. */
export const keys = { streamKey: 'streamKey', playToken: 'token', config: 'transcoder.yaml' } as const;
