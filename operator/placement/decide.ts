// decidePlacement: where a LiveStream's transcoder runs. Pure: the same input gives the same
// answer, so the operator can call it on every reconcile and tests can table it.
//
// For each accelerator in the stream's order (acceleratorOrder: the preference, then cpu when
// fallback is allowed), skipping excluded ones, every node is checked (nodes.ts); the first
// accelerator with a node that fits wins. The current placement is kept while a node for it is
// still eligible, so a stream never moves just because a preferred GPU became free.
import type { Accelerator, LiveStream } from '../api/v1alpha1/index.js';
import { acceleratorOrder } from '../api/v1alpha1/index.js';
import {
  Stage,
  checkCpuNode,
  checkGpuNode,
  matchesSelector,
  type NodeOutcome,
  type PodNeeds,
  type StageValue,
} from './nodes.js';
import { podPlacement, podTolerations } from './pod.js';
import { withDefaultLists } from './products.js';
import { formatCpu, formatMemory } from './quantity.js';
import { encoderSessions, podSize, type PodSize } from './resources.js';
import type { NotPlaced, Placed, PlacementInput, PlacementPolicy, PlacementResult } from './types.js';
import { encoderFor, gpuVendor, type GpuVendor } from './vendors.js';

/** One accelerator tried: the nodes that fit, or why none did. */
interface Attempt {
  accelerator: Accelerator;
  candidates: NodeOutcome[];
  /**
   * GPU products for the pod's node affinity: every encode-capable product on nodes that match the
   * nodeSelector, whether full or not, so the pod template does not change (and roll the
   * transcoder) as nodes fill up; the scheduler handles capacity.
   */
  affinityProducts: string[];
  size: PodSize;
  /** CamelCase reason and a one-line summary with node notes, when nothing fits. */
  reason?: string;
  summary?: string;
}

function needsFor(
  input: PlacementInput,
  policy: PlacementPolicy,
  accelerator: Accelerator,
  size: PodSize,
  checkCapacity: boolean,
): PodNeeds {
  return {
    codec: input.profile.spec.video.codec,
    tolerations: podTolerations(input.stream, accelerator),
    nodeSelector: input.stream.spec.placement.nodeSelector ?? {},
    cpu: size.cpu,
    memory: size.memory,
    sessions: encoderSessions(input.profile),
    geforceSessionCap: policy.geforceSessionCap,
    checkCapacity,
  };
}

/** Groups of nodes shown in a message (most relevant first), and names shown per group. */
const MAX_GROUPS = 4;
const MAX_NAMES = 3;

/** "nvidia-l4-0, nvidia-l4-1 4/4 in use, nvidia-h100-0 NVIDIA-H100-80GB-HBM3 cannot encode": nodes with the same note together, furthest stage first. */
function notes(outcomes: NodeOutcome[]): string {
  const groups = new Map<string, { stage: number; names: string[] }>();
  for (const o of outcomes) {
    if (o.note === undefined) continue;
    const group = groups.get(o.note) ?? { stage: o.stage, names: [] };
    group.names.push(o.node.name);
    groups.set(o.note, group);
  }
  const sorted = [...groups.entries()].sort(
    ([, a], [, b]) =>
      b.stage - a.stage || b.names.length - a.names.length || a.names[0]!.localeCompare(b.names[0]!),
  );
  const shown = sorted.slice(0, MAX_GROUPS).map(([note, { names }]) => {
    const sortedNames = [...names].sort();
    const more = sortedNames.length - MAX_NAMES;
    const who = sortedNames.slice(0, MAX_NAMES).join(', ') + (more > 0 ? ` and ${more} more` : '');
    return `${who} ${note}`;
  });
  const hidden = sorted.slice(MAX_GROUPS).reduce((sum, [, g]) => sum + g.names.length, 0);
  return shown.join(', ') + (hidden > 0 ? `, and ${hidden} other node${hidden === 1 ? '' : 's'}` : '');
}

const capable = (vendor: GpuVendor) =>
  `${vendor.engine === 'NVENC' ? 'an' : 'a'} ${vendor.engine}-capable GPU`;

/** Reason and headline for a GPU accelerator where no node got past `stage`. */
function gpuFailure(
  vendor: GpuVendor,
  stage: StageValue,
  needs: PodNeeds,
): { reason: string; headline: string } {
  const gpu = `${capable(vendor)} (${needs.codec})`;
  const node = `${vendor.display} node`;
  switch (stage) {
    case Stage.NotThisVendor:
      return { reason: 'NoGpuNode', headline: `no node has ${vendor.resource}` };
    case Stage.ProductUnknown:
      return {
        reason: 'GpuProductUnknown',
        headline: `no ${node} has a ${vendor.productLabel} label (${vendor.labeller} writes it)`,
      };
    case Stage.CannotEncode:
      return { reason: 'NoEncodeCapableGpu', headline: `no ${node} has ${gpu}` };
    case Stage.NotSchedulable:
      return { reason: 'NoSchedulableNode', headline: `no ${node} with ${gpu} can take the pod` };
    case Stage.NoFreeGpu:
      return { reason: 'NoFreeGpu', headline: `no ${node} with ${gpu} has a free ${vendor.resource}` };
    case Stage.SessionLimit:
      return {
        reason: 'EncoderSessionLimit',
        headline: `no ${node} with a free ${gpu.replace(/^an? /, '')} has ${needs.sessions} ${vendor.engine} sessions left`,
      };
    default:
      return {
        reason: 'InsufficientResources',
        headline: `no ${node} with a free ${gpu.replace(/^an? /, '')} has ${formatCpu(needs.cpu)} CPU and ${formatMemory(needs.memory)} memory free`,
      };
  }
}

function cpuFailure(
  stage: StageValue,
  needs: PodNeeds,
  encoder: string,
): { reason: string; headline: string } {
  if (stage === Stage.NotThisVendor) return { reason: 'NoNode', headline: 'the cluster has no nodes' };
  if (stage === Stage.NotSchedulable)
    return { reason: 'NoSchedulableNode', headline: `no node can take a CPU transcoder (${encoder})` };
  return {
    reason: 'InsufficientCpu',
    headline: `no node has ${formatCpu(needs.cpu)} CPU and ${formatMemory(needs.memory)} memory free for a CPU transcoder (${encoder})`,
  };
}

const sortedUnique = (values: (string | undefined)[]) =>
  [...new Set(values.filter((v): v is string => v !== undefined))].sort();

function attempt(
  input: PlacementInput,
  policy: PlacementPolicy,
  accelerator: Accelerator,
  checkCapacity: boolean,
): Attempt {
  const size = podSize(input.profile, accelerator);
  const needs = needsFor(input, policy, accelerator, size, checkCapacity);
  const vendor = gpuVendor(accelerator);
  const outcomes = input.nodes
    .map((node) =>
      vendor
        ? checkGpuNode(node, vendor, (codec) => vendor.allowList(policy, codec), needs)
        : checkCpuNode(node, needs),
    )
    .filter((o) => o.stage !== Stage.NotThisVendor);
  const candidates = outcomes.filter((o) => o.stage === Stage.Fits);
  const affinityProducts = sortedUnique(
    outcomes
      .filter((o) => o.stage > Stage.CannotEncode && matchesSelector(o.node, needs.nodeSelector))
      .map((o) => o.product),
  );
  if (candidates.length > 0) return { accelerator, candidates, affinityProducts, size };
  const furthest = outcomes.reduce<StageValue>(
    (max, o) => (o.stage > max ? o.stage : max),
    Stage.NotThisVendor,
  );
  const { reason, headline } = vendor
    ? gpuFailure(vendor, furthest, needs)
    : cpuFailure(furthest, needs, encoderFor(accelerator, input.profile));
  const detail = notes(outcomes);
  return {
    accelerator,
    candidates,
    affinityProducts,
    size,
    reason,
    summary: detail ? `${headline}: ${detail}` : headline,
  };
}

function excluded(accelerator: Accelerator, size: PodSize): Attempt {
  return {
    accelerator,
    candidates: [],
    affinityProducts: [],
    size,
    reason: 'Excluded',
    summary: `${accelerator} skipped: the transcoder stayed unschedulable there`,
  };
}

const reasonFor = (accelerator: Accelerator, order: Accelerator[]) =>
  accelerator === order[0]
    ? 'Preferred'
    : `FellBackTo${accelerator.charAt(0).toUpperCase()}${accelerator.slice(1)}`;

function placed(
  input: PlacementInput,
  policy: PlacementPolicy,
  order: Accelerator[],
  chosen: Attempt,
  passedOver: Attempt[],
  kept: boolean,
): Placed {
  const encoder = encoderFor(chosen.accelerator, input.profile);
  const products = sortedUnique(chosen.candidates.map((c) => c.product));
  const nodes = chosen.candidates.map((c) => c.node.name).sort();
  const where = `${chosen.accelerator} (${[encoder, ...products].join(', ')}), ${nodes.length} candidate node${nodes.length === 1 ? '' : 's'}`;
  const before = passedOver.map((a) => `${a.accelerator} passed over: ${a.summary}`);
  const first = order[0];
  const now = kept
    ? `kept on ${where}, where the transcoder already runs` +
      (chosen.accelerator === first ? '' : ` (${first} comes first, but a running stream is not moved)`)
    : `running on ${where}`;
  return {
    placed: true,
    accelerator: chosen.accelerator,
    encoder,
    fallback: chosen.accelerator !== first,
    reason: reasonFor(chosen.accelerator, order),
    message: [...before, now].join('; '),
    ...(products.length > 0 ? { gpuProduct: products.join(', ') } : {}),
    candidateNodes: nodes,
    pod: podPlacement(chosen.accelerator, input.stream, policy, chosen.size, chosen.affinityProducts),
  };
}

const ADVICE: Record<string, string> = {
  NoGpuNode: 'add a node with an encode-capable GPU',
  GpuProductUnknown: 'label the GPU nodes with their product',
  NoEncodeCapableGpu:
    'add a node with an encode-capable GPU or extend the allow-list (gpu.*.encodeCapableProducts)',
  NoSchedulableNode: 'check spec.placement.nodeSelector and tolerations and the nodes',
  NoFreeGpu: 'free a GPU',
  EncoderSessionLimit: 'free a GPU or use fewer renditions',
  InsufficientResources: 'free CPU and memory on a GPU node',
  InsufficientCpu: 'free CPU and memory or add nodes',
  NoNode: 'add nodes',
  Excluded: 'free capacity; the transcoder did not get scheduled',
};

function notPlaced(stream: LiveStream, order: Accelerator[], attempts: Attempt[]): NotPlaced {
  const reason = attempts[0]?.reason ?? 'NoAcceleratorListed';
  const advice = [...new Set(attempts.map((a) => ADVICE[a.reason ?? ''] ?? 'add capacity'))];
  if (!order.includes('cpu')) advice.push('allow CPU fallback (spec.placement.allowCpuFallback: true)');
  const summaries = attempts.map((a) => a.summary);
  if (attempts.length === 0) summaries.push(`${stream.metadata.name} lists no accelerator`);
  return { placed: false, reason, message: `${summaries.join('; ')}; ${advice.join(' or ')}` };
}

/** Where the stream's transcoder goes, or why it cannot go anywhere. */
export function decidePlacement(input: PlacementInput): PlacementResult {
  const policy = withDefaultLists(input.policy);
  const order = acceleratorOrder(input.stream.spec.placement);
  const exclude = new Set(input.exclude ?? []);
  if (input.current && order.includes(input.current) && !exclude.has(input.current)) {
    const current = attempt(input, policy, input.current, false);
    if (current.candidates.length > 0) return placed(input, policy, order, current, [], true);
  }
  const passedOver: Attempt[] = [];
  for (const accelerator of order) {
    const tried = exclude.has(accelerator)
      ? excluded(accelerator, podSize(input.profile, accelerator))
      : attempt(input, policy, accelerator, true);
    if (tried.candidates.length > 0) return placed(input, policy, order, tried, passedOver, false);
    passedOver.push(tried);
  }
  return notPlaced(input.stream, order, passedOver);
}
