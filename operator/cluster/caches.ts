// Every cache the operator keeps, with its indexes, and the informers that fill them. What is cached
// and why (docs/operator.md "What is cached"): LiveStreams and TranscodeProfiles in the watched
// namespaces; only the operator's own Deployments, Services, ConfigMaps and Secrets (label
// app.kubernetes.io/managed-by=livestream-operator); Nodes and non-terminated Pods cluster-wide as
// slim records (placement needs what every pod requests on every node).
import type { Logger } from '../../lib/log.js';
import type { LiveStream, TranscodeProfile } from '../api/v1alpha1/index.js';
import { Cache } from '../runtime/cache.js';
import { Informer } from '../runtime/informer.js';
import type { RuntimeMetrics } from '../runtime/metrics.js';
import type { KubeClient, KubeObject } from '../runtime/rest.js';
import { kinds, type ResourceKind } from '../runtime/resources.js';
import {
  MANAGED_BY,
  OPERATOR_NAME,
  STREAM_LABEL,
  toNodeRecord,
  toPodUsage,
  type NodeRecord,
  type PodUsage,
} from './usage.js';

export const BY_PROFILE = 'profile';
export const BY_OWNER = 'owner';
export const BY_NODE = 'node';
export const BY_STREAM = 'stream';

export interface Caches {
  streams: Cache<LiveStream>;
  profiles: Cache<TranscodeProfile>;
  deployments: Cache<KubeObject>;
  services: Cache<KubeObject>;
  configMaps: Cache<KubeObject>;
  secrets: Cache<KubeObject>;
  pods: Cache<PodUsage>;
  nodes: Cache<NodeRecord>;
}

const ownerUids = (o: KubeObject): string[] =>
  (o.metadata.ownerReferences ?? []).filter((r) => r.controller).map((r) => r.uid);

export function createCaches(): Caches {
  const owned = (name: string) => new Cache<KubeObject>(name).addIndex(BY_OWNER, ownerUids);
  return {
    streams: new Cache<LiveStream>('LiveStream').addIndex(BY_PROFILE, (s) => [
      `${s.metadata.namespace}/${s.spec.profileRef.name}`,
    ]),
    profiles: new Cache<TranscodeProfile>('TranscodeProfile'),
    deployments: owned('Deployment'),
    services: owned('Service'),
    configMaps: owned('ConfigMap'),
    secrets: owned('Secret'),
    pods: new Cache<PodUsage>('Pod')
      .addIndex(BY_NODE, (p) => (p.nodeName ? [p.nodeName] : []))
      .addIndex(BY_STREAM, (p) => {
        const stream = p.metadata.labels?.[STREAM_LABEL];
        return stream ? [`${p.metadata.namespace}/${stream}`] : [];
      }),
    nodes: new Cache<NodeRecord>('Node'),
  };
}

export interface InformerSetOptions {
  client: KubeClient;
  caches: Caches;
  /** Empty: all namespaces. */
  namespaces: string[];
  log: Logger;
  metrics: RuntimeMetrics;
}

const managedSelector = `${MANAGED_BY}=${OPERATOR_NAME}`;

export function createInformers(o: InformerSetOptions): Informer<never>[] {
  const namespaces = o.namespaces.length ? o.namespaces : [undefined];
  const m = o.metrics.informer();
  const informers: Informer<never>[] = [];
  const add = <T extends { metadata: object }>(
    kind: ResourceKind,
    cache: Cache<never>,
    extra: {
      labelSelector?: string;
      fieldSelector?: string;
      transform?: (x: Record<string, unknown>) => T;
      clusterWide?: boolean;
    },
  ) => {
    for (const namespace of extra.clusterWide ? [undefined] : namespaces)
      informers.push(
        new Informer<never>({
          client: o.client,
          kind,
          cache,
          namespace,
          labelSelector: extra.labelSelector,
          fieldSelector: extra.fieldSelector,
          transform: extra.transform as unknown as (x: Record<string, unknown>) => never,
          log: o.log,
          metrics: m,
        }),
      );
  };
  const c = o.caches as unknown as Record<keyof Caches, Cache<never>>;
  add(kinds.LiveStream, c.streams, {});
  add(kinds.TranscodeProfile, c.profiles, {});
  add(kinds.Deployment, c.deployments, { labelSelector: managedSelector, transform: deploymentSummary });
  add(kinds.Service, c.services, { labelSelector: managedSelector });
  add(kinds.ConfigMap, c.configMaps, {
    labelSelector: managedSelector,
    transform: metadataOnly('ConfigMap'),
  });
  add(kinds.Secret, c.secrets, { labelSelector: managedSelector, transform: secretMetadataOnly });
  add(kinds.Node, c.nodes, { transform: toNodeRecord, clusterWide: true });
  add(kinds.Pod, c.pods, {
    fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed',
    transform: toPodUsage,
    clusterWide: true,
  });
  return informers;
}

/** Secrets are cached without their data: the operator only needs to know they exist. */
function secretMetadataOnly(obj: Record<string, unknown>): KubeObject {
  const { metadata, type } = obj as { metadata: KubeObject['metadata']; type?: string };
  return { apiVersion: 'v1', kind: 'Secret', metadata, type };
}

/** Deployments as status reads them: the pod template (most of the object) is never read back. */
function deploymentSummary(obj: Record<string, unknown>): KubeObject {
  const { metadata, spec, status } = obj as {
    metadata: KubeObject['metadata'];
    spec?: { replicas?: number };
    status?: unknown;
  };
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec: { replicas: spec?.replicas }, status };
}

/** Objects the operator only needs to know exist and whose hash annotation it compares. */
function metadataOnly(kind: string) {
  return (obj: Record<string, unknown>): KubeObject => ({
    apiVersion: 'v1',
    kind,
    metadata: (obj as { metadata: KubeObject['metadata'] }).metadata,
  });
}
