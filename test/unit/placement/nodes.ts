// The local cluster's default pools (localcluster/pools/default.yaml) as NodeViews, with modifiers
// to fill GPUs, taint, cordon or label nodes.
import { readFileSync } from 'node:fs';
import { parsePools, renderNodes } from '../../../localcluster/src/pools.js';
import { resolvePoolsPath } from '../../../localcluster/src/pools.js';
import type { NodeView } from '../../../operator/placement/index.js';

const defaultPools = resolvePoolsPath('default');

/** Every node of the default pools, free and Ready. */
export function clusterNodes(): NodeView[] {
  const pools = parsePools(readFileSync(defaultPools, 'utf8'), defaultPools);
  return renderNodes(pools).map((n) => ({
    name: n.metadata.name,
    labels: { ...n.metadata.labels },
    taints: (n.spec.taints ?? []).map((t) => ({ ...t })),
    allocatable: { ...n.status.allocatable },
    requested: {},
    ready: true,
    unschedulable: false,
  }));
}

type NodeMod = (node: NodeView) => void;

/** Apply modifiers to the nodes whose name starts with `prefix`. */
export function where(nodes: NodeView[], prefix: string, ...mods: NodeMod[]): NodeView[] {
  return nodes.map((n) => {
    if (!n.name.startsWith(prefix)) return n;
    const copy = structuredClone(n);
    for (const mod of mods) mod(copy);
    return copy;
  });
}

export const only = (nodes: NodeView[], ...prefixes: string[]) =>
  nodes.filter((n) => prefixes.some((p) => n.name.startsWith(p)));

/** Every GPU of the node requested by pods already. */
export const gpusFull: NodeMod = (n) => {
  for (const r of ['nvidia.com/gpu', 'amd.com/gpu'])
    if (n.allocatable[r] !== undefined) n.requested[r] = n.allocatable[r]!;
};
export const gpusUsed =
  (count: number): NodeMod =>
  (n) => {
    for (const r of ['nvidia.com/gpu', 'amd.com/gpu'])
      if (n.allocatable[r] !== undefined) n.requested[r] = String(count);
  };
export const cpuFull: NodeMod = (n) => {
  n.requested.cpu = n.allocatable.cpu!;
};
export const notReady: NodeMod = (n) => {
  n.ready = false;
};
export const cordoned: NodeMod = (n) => {
  n.unschedulable = true;
};
export const taint =
  (key: string, value: string, effect = 'NoSchedule'): NodeMod =>
  (n) => {
    n.taints.push({ key, value, effect });
  };
export const label =
  (key: string, value: string): NodeMod =>
  (n) => {
    n.labels[key] = value;
  };
export const allocatable =
  (resource: string, value: string): NodeMod =>
  (n) => {
    n.allocatable[resource] = value;
  };
