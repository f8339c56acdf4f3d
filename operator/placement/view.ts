// NodeView from the API objects: a Node, and the pods bound to it. Pure, so the operator and the
// benchmarks compute "requested" the way the scheduler does.
import type { V1Node, V1Pod, V1ResourceRequirements } from '@kubernetes/client-node';
import { quantity } from './quantity.js';
import type { NodeView } from './types.js';

type Amounts = Record<string, number>;

function add(into: Amounts, from: Amounts): Amounts {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  return into;
}

/** A container's requests; an extended resource (e.g. nvidia.com/gpu) given only in limits counts as requested. */
function containerAmounts(resources: V1ResourceRequirements | undefined): Amounts {
  const out: Amounts = {};
  for (const [k, v] of Object.entries(resources?.requests ?? {})) out[k] = quantity(v);
  for (const [k, v] of Object.entries(resources?.limits ?? {}))
    if (k.includes('/') && out[k] === undefined) out[k] = quantity(v);
  return out;
}

/** What a pod requests, as the scheduler counts it: max(sum of containers, each init container) plus overhead. */
export function podRequests(pod: V1Pod): Amounts {
  const spec = pod.spec;
  if (!spec) return {};
  const sum = spec.containers.reduce<Amounts>((acc, c) => add(acc, containerAmounts(c.resources)), {});
  for (const init of spec.initContainers ?? []) {
    const amounts = containerAmounts(init.resources);
    // Sidecars (restartPolicy Always) run alongside the containers.
    if (init.restartPolicy === 'Always') add(sum, amounts);
    else for (const [k, v] of Object.entries(amounts)) sum[k] = Math.max(sum[k] ?? 0, v);
  }
  const overhead: Amounts = {};
  for (const [k, v] of Object.entries(spec.overhead ?? {})) overhead[k] = quantity(v);
  return add(sum, overhead);
}

const terminated = (pod: V1Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** Format a summed amount back as a quantity string (cpu in millicores, the rest as integers). */
function asQuantity(resource: string, amount: number): string {
  return resource === 'cpu' ? `${Math.round(amount * 1000)}m` : String(Math.round(amount));
}

/** The NodeView of a Node, with the requests of the non-terminated pods bound to it (others are ignored). */
export function toNodeView(node: V1Node, pods: V1Pod[]): NodeView {
  const name = node.metadata?.name ?? '';
  const requested = pods
    .filter((p) => p.spec?.nodeName === name && !terminated(p))
    .reduce<Amounts>((acc, p) => add(acc, podRequests(p)), {});
  return {
    name,
    labels: { ...(node.metadata?.labels ?? {}) },
    taints: (node.spec?.taints ?? []).map((t) => ({
      key: t.key,
      ...(t.value ? { value: t.value } : {}),
      effect: t.effect,
    })),
    allocatable: { ...(node.status?.allocatable ?? {}) },
    requested: Object.fromEntries(Object.entries(requested).map(([k, v]) => [k, asQuantity(k, v)])),
    ready: node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    unschedulable: node.spec?.unschedulable ?? false,
  };
}
