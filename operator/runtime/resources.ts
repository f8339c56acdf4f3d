// The kinds the operator reads or writes, and their REST paths (no discovery: the set is fixed).

export interface ResourceKind {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

export const kinds = {
  LiveStream: {
    apiVersion: 'livestream-operator.io/v1alpha1',
    kind: 'LiveStream',
    plural: 'livestreams',
    namespaced: true,
  },
  TranscodeProfile: {
    apiVersion: 'livestream-operator.io/v1alpha1',
    kind: 'TranscodeProfile',
    plural: 'transcodeprofiles',
    namespaced: true,
  },
  Deployment: { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
  Service: { apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  ConfigMap: { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  Secret: { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  Pod: { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  Node: { apiVersion: 'v1', kind: 'Node', plural: 'nodes', namespaced: false },
  Lease: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases', namespaced: true },
  Event: { apiVersion: 'events.k8s.io/v1', kind: 'Event', plural: 'events', namespaced: true },
} as const satisfies Record<string, ResourceKind>;

export type KindName = keyof typeof kinds;

export function kindOf(apiVersion: string | undefined, kind: string | undefined): ResourceKind | undefined {
  return Object.values(kinds).find((k) => k.apiVersion === apiVersion && k.kind === kind);
}

/** /api/v1/... for the core group, /apis/<group>/<version>/... otherwise. */
export function collectionPath(rk: ResourceKind, namespace?: string): string {
  const base = rk.apiVersion.includes('/') ? `/apis/${rk.apiVersion}` : `/api/${rk.apiVersion}`;
  return rk.namespaced && namespace ? `${base}/namespaces/${namespace}/${rk.plural}` : `${base}/${rk.plural}`;
}

export function objectPath(
  rk: ResourceKind,
  namespace: string | undefined,
  name: string,
  subresource?: string,
): string {
  return `${collectionPath(rk, namespace)}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
}
