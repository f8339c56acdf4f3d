// Pods and Nodes as the operator caches them: slim records with only what placement and status read.
// A full Pod is 5-20 KiB in memory; its usage record is a few hundred bytes, so a cluster-wide cache of
// non-terminated pods stays small (docs/operator.md, "What is cached").
import { quantity } from '../placement/quantity.js';

export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const OPERATOR_NAME = 'livestream-operator';
export const STREAM_LABEL = 'livestream-operator.io/stream';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';

export interface PodUsage {
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
  };
  nodeName?: string;
  phase?: string;
  /** Effective requests in base units (cores, bytes, devices); extended resources from limits. */
  requests: Record<string, number>;
  podIP?: string;
  ready: boolean;
  deleting: boolean;
  /** PodScheduled=False with reason Unschedulable: since when, and the scheduler's message. */
  unschedulable?: { since: string; message: string };
}

export interface NodeRecord {
  metadata: { name: string; resourceVersion?: string; labels: Record<string, string> };
  taints: { key: string; value?: string; effect: string }[];
  allocatable: Record<string, string>;
  ready: boolean;
  unschedulable: boolean;
  addresses: { type: string; address: string }[];
}

interface RawContainer {
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

interface RawPod {
  metadata: PodUsage['metadata'] & { deletionTimestamp?: string };
  spec?: {
    nodeName?: string;
    containers?: RawContainer[];
    initContainers?: RawContainer[];
    overhead?: Record<string, string>;
  };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: {
      type: string;
      status: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
    }[];
  };
}

function containerRequests(c: RawContainer): Record<string, number> {
  const out: Record<string, number> = {};
  const { requests = {}, limits = {} } = c.resources ?? {};
  for (const name of new Set([...Object.keys(requests), ...Object.keys(limits)])) {
    // Requests default to limits when only limits are set (always so for extended resources such as GPUs).
    out[name] = quantity(requests[name] ?? limits[name]);
  }
  return out;
}

/** The scheduler's effective request: max(sum of containers, largest init container) + overhead. */
export function podRequests(spec: RawPod['spec']): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const c of spec?.containers ?? [])
    for (const [k, v] of Object.entries(containerRequests(c))) sum[k] = (sum[k] ?? 0) + v;
  for (const c of spec?.initContainers ?? [])
    for (const [k, v] of Object.entries(containerRequests(c))) sum[k] = Math.max(sum[k] ?? 0, v);
  for (const [k, v] of Object.entries(spec?.overhead ?? {})) sum[k] = (sum[k] ?? 0) + quantity(v);
  return sum;
}

export function toPodUsage(obj: Record<string, unknown>): PodUsage {
  const pod = obj as unknown as RawPod;
  const labels = pod.metadata.labels ?? {};
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const readyCond = pod.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    metadata: {
      name: pod.metadata.name,
      namespace: pod.metadata.namespace,
      uid: pod.metadata.uid,
      resourceVersion: pod.metadata.resourceVersion,
      // Labels only of the operator's own pods (which stream, which component).
      ...(labels[MANAGED_BY] === OPERATOR_NAME
        ? { labels: pick(labels, [STREAM_LABEL, COMPONENT_LABEL, MANAGED_BY]) }
        : {}),
    },
    nodeName: pod.spec?.nodeName,
    phase: pod.status?.phase,
    requests: podRequests(pod.spec),
    podIP: pod.status?.podIP,
    ready: readyCond?.status === 'True',
    deleting: pod.metadata.deletionTimestamp !== undefined,
    ...(scheduled?.status === 'False' && scheduled.reason === 'Unschedulable'
      ? { unschedulable: { since: scheduled.lastTransitionTime ?? '', message: scheduled.message ?? '' } }
      : {}),
  };
}

interface RawNode {
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: { taints?: NodeRecord['taints']; unschedulable?: boolean };
  status?: {
    allocatable?: Record<string, string>;
    conditions?: { type: string; status: string }[];
    addresses?: { type: string; address: string }[];
  };
}

export function toNodeRecord(obj: Record<string, unknown>): NodeRecord {
  const node = obj as unknown as RawNode;
  return {
    metadata: {
      name: node.metadata.name,
      resourceVersion: node.metadata.resourceVersion,
      labels: node.metadata.labels ?? {},
    },
    taints: node.spec?.taints ?? [],
    allocatable: node.status?.allocatable ?? {},
    ready: node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
    unschedulable: node.spec?.unschedulable === true,
    addresses: node.status?.addresses ?? [],
  };
}

/** Whether two node records differ in what placement reads (heartbeats change nothing here). */
export function nodePlacementChanged(a: NodeRecord, b: NodeRecord): boolean {
  return (
    JSON.stringify([a.metadata.labels, a.taints, a.allocatable, a.ready, a.unschedulable]) !==
    JSON.stringify([b.metadata.labels, b.taints, b.allocatable, b.ready, b.unschedulable])
  );
}

function pick(labels: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => labels[k] !== undefined).map((k) => [k, labels[k]!]));
}
