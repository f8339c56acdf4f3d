// One node against one accelerator: a chain of checks, each either passing or returning a short
// note for the message ("nvidia-l4-0 4/4 in use"). How far a node got (its stage) picks the
// headline when no node fits: the furthest stage any node reached is the most useful thing to fix.
import type { V1Toleration } from '@kubernetes/client-node';
import type { VideoCodec } from '../api/v1alpha1/index.js';
import { productAllowed } from './products.js';
import { formatCount, formatCpu, formatMemory, free, quantity } from './quantity.js';
import type { NodeView } from './types.js';
import { isGeforce, type GpuVendor } from './vendors.js';

/** How far a node got; a node that fits has Stage.Fits. */
export const Stage = {
  NotThisVendor: -1,
  ProductUnknown: 0,
  CannotEncode: 1,
  NotSchedulable: 2,
  NoFreeGpu: 3,
  SessionLimit: 4,
  Resources: 5,
  Fits: 6,
} as const;
export type StageValue = (typeof Stage)[keyof typeof Stage];

export interface NodeOutcome {
  node: NodeView;
  stage: StageValue;
  /** Why the node does not fit (without its name), e.g. "4/4 in use"; undefined when it fits. */
  note?: string;
  /** The GPU product label, when the node has one. */
  product?: string;
}

/** What the transcoder pod needs from a node. */
export interface PodNeeds {
  codec: VideoCodec;
  tolerations: V1Toleration[];
  nodeSelector: Record<string, string>;
  /** Cores and bytes requested. */
  cpu: number;
  memory: number;
  /** Hardware encoder sessions the stream opens (one per rendition). */
  sessions: number;
  geforceSessionCap: number;
  /** false for the current placement: its own pod's requests are already counted on its node. */
  checkCapacity: boolean;
}

/** Kubernetes toleration matching (k8s.io/api/core/v1 Toleration.ToleratesTaint). */
export function tolerates(toleration: V1Toleration, taint: NodeView['taints'][number]): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (!toleration.key) return toleration.operator === 'Exists';
  if (toleration.key !== taint.key) return false;
  if (toleration.operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

/** Taints that keep the pod off the node: NoSchedule/NoExecute ones no toleration matches. */
export function untoleratedTaints(node: NodeView, tolerations: V1Toleration[]): NodeView['taints'] {
  return node.taints.filter(
    (t) => t.effect !== 'PreferNoSchedule' && !tolerations.some((tol) => tolerates(tol, t)),
  );
}

const taintText = (t: NodeView['taints'][number]) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;

/** Whether the node carries every label of the nodeSelector. */
export function matchesSelector(node: NodeView, nodeSelector: Record<string, string>): boolean {
  return Object.entries(nodeSelector).every(([k, v]) => node.labels[k] === v);
}

/** Why the scheduler could not put any pod of this shape here, or undefined. */
function schedulingProblem(node: NodeView, needs: PodNeeds): string | undefined {
  if (!node.ready) return 'not ready';
  if (node.unschedulable) return 'cordoned';
  const mismatch = Object.entries(needs.nodeSelector).filter(([k, v]) => node.labels[k] !== v);
  if (mismatch.length > 0)
    return `does not match nodeSelector ${mismatch.map(([k, v]) => `${k}=${v}`).join(',')}`;
  const taints = untoleratedTaints(node, needs.tolerations);
  if (taints.length > 0) return `taint ${taints.map(taintText).join(', ')} not tolerated`;
  return undefined;
}

function resourceProblem(node: NodeView, needs: PodNeeds): string | undefined {
  const cpuFree = free(node, 'cpu');
  const memoryFree = free(node, 'memory');
  const short: string[] = [];
  if (cpuFree < needs.cpu) short.push(`${formatCpu(cpuFree)} CPU free, needs ${formatCpu(needs.cpu)}`);
  if (memoryFree < needs.memory)
    short.push(`${formatMemory(memoryFree)} memory free, needs ${formatMemory(needs.memory)}`);
  return short.length > 0 ? short.join(', ') : undefined;
}

const outcome = (node: NodeView, stage: StageValue, why?: string, product?: string): NodeOutcome => ({
  node,
  stage,
  ...(why === undefined ? {} : { note: why }),
  ...(product === undefined ? {} : { product }),
});

/** A node for a CPU transcoder: any node the pod may be scheduled on with room for its requests. */
export function checkCpuNode(node: NodeView, needs: PodNeeds): NodeOutcome {
  const problem = schedulingProblem(node, needs);
  if (problem) return outcome(node, Stage.NotSchedulable, problem);
  const short = needs.checkCapacity ? resourceProblem(node, needs) : undefined;
  if (short) return outcome(node, Stage.Resources, short);
  return outcome(node, Stage.Fits);
}

/** A node for a GPU transcoder of this vendor. Nodes without the vendor's GPUs are NotThisVendor. */
export function checkGpuNode(
  node: NodeView,
  vendor: GpuVendor,
  allowList: (codec: VideoCodec) => string[],
  needs: PodNeeds,
): NodeOutcome {
  const product = node.labels[vendor.productLabel];
  const gpus = quantity(node.allocatable[vendor.resource]);
  if (product === undefined && gpus <= 0) return outcome(node, Stage.NotThisVendor);
  if (product === undefined)
    return outcome(node, Stage.ProductUnknown, `has ${vendor.resource} but no ${vendor.productLabel} label`);
  if (!productAllowed(product, allowList(needs.codec))) {
    const other = needs.codec === 'h264' ? 'hevc' : 'h264';
    const why = productAllowed(product, allowList(other))
      ? `${product} is allowed for ${other} only`
      : `${product} cannot encode`;
    return outcome(node, Stage.CannotEncode, why, product);
  }
  const problem = schedulingProblem(node, needs);
  if (problem) return outcome(node, Stage.NotSchedulable, problem, product);
  if (gpus <= 0) return outcome(node, Stage.NoFreeGpu, `has no allocatable ${vendor.resource}`, product);
  if (!needs.checkCapacity) return outcome(node, Stage.Fits, undefined, product);
  const used = quantity(node.requested[vendor.resource]);
  if (gpus - used < 1)
    return outcome(node, Stage.NoFreeGpu, `${formatCount(used)}/${formatCount(gpus)} in use`, product);
  if (vendor.accelerator === 'nvidia' && isGeforce(product)) {
    // Approximation: other transcoders' sessions = GPUs in use x this profile's renditions (we do
    // not know their profiles here). The cap is per node on GeForce drivers.
    const sessionsUsed = used * needs.sessions;
    if (sessionsUsed + needs.sessions > needs.geforceSessionCap)
      return outcome(
        node,
        Stage.SessionLimit,
        `GeForce NVENC sessions ~${sessionsUsed}/${needs.geforceSessionCap} in use, needs ${needs.sessions}`,
        product,
      );
  }
  const short = resourceProblem(node, needs);
  if (short) return outcome(node, Stage.Resources, short, product);
  return outcome(node, Stage.Fits, undefined, product);
}
