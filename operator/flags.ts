// The operator's command line: the flags the Helm chart passes (templates/_args.tpl) plus those for
// running outside a cluster. docs/operator.md lists them; test/integration/chart checks the chart's
// against --help.
import os from 'node:os';
import { ConfigError } from '../lib/errors.js';
import type { Options } from '../lib/cli.js';
import type { PlacementPolicy } from './placement/index.js';
import { DEFAULT_POLICY } from './placement/index.js';

const IMAGE_TAG = '0.1.0';

export const operatorOptions = {
  logLevel: {
    type: 'string',
    description: 'Log level of the JSON logs',
    env: 'LOG_LEVEL',
    default: 'info',
    choices: ['debug', 'info', 'warn', 'error'],
  },
  kubeconfig: {
    type: 'string',
    description: 'kubeconfig file (default: $KUBECONFIG, the in-cluster service account, or ~/.kube/config)',
  },
  httpHost: { type: 'string', description: 'Address of /healthz, /readyz and /metrics', default: '0.0.0.0' },
  httpPort: {
    type: 'number',
    description: 'Port of /healthz, /readyz and /metrics',
    default: 8080,
    min: 0,
    max: 65535,
  },
  workers: { type: 'number', description: 'LiveStreams reconciled at once', default: 10, min: 1, max: 256 },
  clusterDomain: {
    type: 'string',
    description: 'DNS suffix of Services, used in the URLs written to status',
    default: 'cluster.local',
  },
  leaderElect: {
    type: 'boolean',
    description: 'Elect a leader among replicas through a coordination.k8s.io Lease',
    default: false,
  },
  leaderElectionId: { type: 'string', description: 'Name of the Lease', default: 'livestream-operator' },
  leaderElectionNamespace: { type: 'string', description: 'Namespace of the Lease', env: 'POD_NAMESPACE' },
  leaseDuration: {
    type: 'duration',
    description: 'How long a Lease is valid without renewal',
    default: '15s',
  },
  renewDeadline: {
    type: 'duration',
    description: 'The leader steps down when it could not renew for this long',
    default: '10s',
  },
  retryPeriod: {
    type: 'duration',
    description: 'How often candidates try to take or renew the Lease',
    default: '2s',
  },
  identity: { type: 'string', description: 'This replica in the Lease (the pod name)', env: 'POD_NAME' },
  watchNamespaces: {
    type: 'string',
    description: 'Comma-separated namespaces to manage (empty: all)',
    env: 'WATCH_NAMESPACES',
    default: '',
  },
  ingestImage: {
    type: 'string',
    description: 'Image of the ingest pods',
    default: `ghcr.io/livestream-operator/livestream-ingest:${IMAGE_TAG}`,
  },
  transcoderImage: {
    type: 'string',
    description: 'Image of the transcoder pods',
    default: `ghcr.io/livestream-operator/livestream-transcoder:${IMAGE_TAG}`,
  },
  transcoderNvidiaImage: {
    type: 'string',
    description: 'Image of NVIDIA transcoder pods (the transcoder-nvidia target; empty: --transcoder-image)',
    default: '',
  },
  imagePullPolicy: {
    type: 'string',
    description: 'imagePullPolicy of the data-plane pods',
    default: 'IfNotPresent',
    choices: ['Always', 'IfNotPresent', 'Never'],
  },
  imagePullSecrets: {
    type: 'string',
    description: 'Comma-separated Secrets for pulling the data-plane images',
    default: '',
  },
  nvidiaRuntimeClass: {
    type: 'string',
    description: 'runtimeClassName of NVIDIA transcoder pods when the LiveStream names none',
    default: '',
  },
  nvencProductsH264: {
    type: 'string',
    description:
      'Comma-separated words of nvidia.com/gpu.product that can encode H.264 (empty: built-in list)',
    default: '',
  },
  nvencProductsHevc: {
    type: 'string',
    description:
      'Comma-separated words of nvidia.com/gpu.product that can encode HEVC (empty: built-in list)',
    default: '',
  },
  vcnProductsH264: {
    type: 'string',
    description:
      'Comma-separated words of amd.com/gpu.product-name that can encode H.264 (empty: built-in list)',
    default: '',
  },
  vcnProductsHevc: {
    type: 'string',
    description:
      'Comma-separated words of amd.com/gpu.product-name that can encode HEVC (empty: built-in list)',
    default: '',
  },
  geforceSessionCap: {
    type: 'number',
    description: 'Concurrent NVENC sessions a GeForce driver allows per node',
    default: 8,
    min: 1,
    max: 1000,
  },
  amdDeviceGroups: {
    type: 'string',
    description: 'Comma-separated supplementary groups owning /dev/dri on AMD nodes',
    default: '44,109',
  },
  unschedulableTimeout: {
    type: 'duration',
    description: 'A transcoder pod unschedulable for longer is placed again with the next choice',
    default: '2m',
  },
  liveStatus: {
    type: 'boolean',
    description:
      "Read the ingest's and transcoder's /status into LiveStream status (needs pod network access)",
    default: true,
  },
  liveStatusInterval: { type: 'duration', description: 'How often live status is read', default: '5s' },
  resyncPeriod: {
    type: 'duration',
    description: 'Every LiveStream is reconciled at least this often',
    default: '10m',
  },
} as const;

export type OperatorOptions = Options<typeof operatorOptions>;

export const list = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function policyFrom(o: OperatorOptions): PlacementPolicy {
  const or = (text: string, fallback: string[]) => (list(text).length ? list(text) : fallback);
  return {
    ...DEFAULT_POLICY,
    nvencProducts: {
      h264: or(o.nvencProductsH264, DEFAULT_POLICY.nvencProducts.h264),
      hevc: or(o.nvencProductsHevc, DEFAULT_POLICY.nvencProducts.hevc),
    },
    vcnProducts: {
      h264: or(o.vcnProductsH264, DEFAULT_POLICY.vcnProducts.h264),
      hevc: or(o.vcnProductsHevc, DEFAULT_POLICY.vcnProducts.hevc),
    },
    geforceSessionCap: o.geforceSessionCap,
    ...(o.nvidiaRuntimeClass ? { nvidiaRuntimeClass: o.nvidiaRuntimeClass } : {}),
    amdDeviceGroups: deviceGroups(o.amdDeviceGroups),
  };
}

export function deviceGroups(text: string): number[] {
  return list(text).map((g) => {
    const n = Number(g);
    if (!Number.isInteger(n) || n < 0)
      throw new ConfigError(`--amd-device-groups: "${g}" is not a group id (a whole number)`);
    return n;
  });
}

export function identityFrom(o: OperatorOptions): string {
  return o.identity || `${os.hostname()}_${process.pid}`;
}
