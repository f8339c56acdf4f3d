// Where the transcoder goes: the pure decision (operator/placement) fed with NodeViews from the caches,
// the accelerator the stream runs on now (kept while it fits), and the accelerators excluded because a
// transcoder pod stayed unschedulable on them for longer than --unschedulable-timeout.
import type { Accelerator, LiveStream, TranscodeProfile } from '../../api/v1alpha1/index.js';
import {
  decidePlacement,
  type NodeView,
  type PlacementPolicy,
  type PlacementResult,
} from '../../placement/index.js';
import type { Cache } from '../../runtime/cache.js';
import { BY_NODE, BY_STREAM } from '../../cluster/caches.js';
import { COMPONENT_LABEL, STREAM_LABEL, type NodeRecord, type PodUsage } from '../../cluster/usage.js';

/** Requests summed per node, leaving out the pods of `skipStream` (its own pods are being replaced). */
export function nodeViews(
  nodes: NodeRecord[],
  pods: Cache<PodUsage>,
  skipStream?: { namespace: string; name: string },
): NodeView[] {
  return nodes.map((n) => {
    const sum: Record<string, number> = {};
    for (const p of pods.byIndex(BY_NODE, n.metadata.name)) {
      if (
        skipStream &&
        p.metadata.namespace === skipStream.namespace &&
        p.metadata.labels?.[STREAM_LABEL] === skipStream.name
      )
        continue;
      for (const [k, v] of Object.entries(p.requests)) sum[k] = (sum[k] ?? 0) + v;
    }
    return {
      name: n.metadata.name,
      labels: n.metadata.labels,
      taints: n.taints,
      allocatable: n.allocatable,
      requested: Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, formatPlain(v)])),
      ready: n.ready,
      unschedulable: n.unschedulable,
    };
  });
}

/** A base-unit number as a quantity string ("1.25", "2147483648"). */
function formatPlain(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(3).replace(/0+$/, '');
}

/** Which accelerator a transcoder pod was built for, from what it requests. */
export function acceleratorOfPod(p: PodUsage): Accelerator {
  if ((p.requests['nvidia.com/gpu'] ?? 0) > 0) return 'nvidia';
  if ((p.requests['amd.com/gpu'] ?? 0) > 0) return 'amd';
  return 'cpu';
}

export function transcoderPods(pods: Cache<PodUsage>, key: string): PodUsage[] {
  return pods
    .byIndex(BY_STREAM, key)
    .filter((p) => p.metadata.labels?.[COMPONENT_LABEL] === 'transcoder' && !p.deleting);
}

/** Accelerators a stream must avoid for a while, remembered in memory (a restart forgets them). */
export class Exclusions {
  private readonly byStream = new Map<string, Map<Accelerator, number>>();
  constructor(private readonly ttlMs: number) {}

  add(key: string, accelerator: Accelerator, now = Date.now()): void {
    let m = this.byStream.get(key);
    if (!m) this.byStream.set(key, (m = new Map()));
    m.set(accelerator, now + this.ttlMs);
  }

  list(key: string, now = Date.now()): Accelerator[] {
    const m = this.byStream.get(key);
    if (!m) return [];
    for (const [a, until] of m) if (until <= now) m.delete(a);
    return [...m.keys()];
  }

  forget(key: string): void {
    this.byStream.delete(key);
  }
}

export interface PlaceInput {
  stream: LiveStream;
  profile: TranscodeProfile;
  nodes: NodeRecord[];
  pods: Cache<PodUsage>;
  policy: PlacementPolicy;
  exclusions: Exclusions;
  unschedulableTimeoutMs: number;
  now: number;
}

export interface PlaceOutcome {
  result: PlacementResult;
  /** The accelerator just given up on (its pod stayed unschedulable too long). */
  gaveUp?: { accelerator: Accelerator; message: string };
  /** Look again after this long (a pending pod's timeout). */
  recheckAfterMs?: number;
}

export function place(i: PlaceInput): PlaceOutcome {
  const ns = i.stream.metadata.namespace!;
  const name = i.stream.metadata.name!;
  const key = `${ns}/${name}`;
  let current = i.stream.status?.placement?.accelerator;
  const pods = transcoderPods(i.pods, key);
  let gaveUp: PlaceOutcome['gaveUp'];
  let recheckAfterMs: number | undefined;
  const stuck = pods.find((p) => p.unschedulable && (!current || acceleratorOfPod(p) === current));
  if (stuck?.unschedulable) {
    const age = i.now - Date.parse(stuck.unschedulable.since);
    if (Number.isFinite(age) && age >= i.unschedulableTimeoutMs) {
      const accelerator = acceleratorOfPod(stuck);
      i.exclusions.add(key, accelerator, i.now);
      gaveUp = { accelerator, message: stuck.unschedulable.message };
      if (current === accelerator) current = undefined;
    } else recheckAfterMs = Math.max(1_000, i.unschedulableTimeoutMs - (Number.isFinite(age) ? age : 0));
  }
  const result = decidePlacement({
    stream: i.stream,
    profile: i.profile,
    nodes: nodeViews(i.nodes, i.pods, { namespace: ns, name }),
    policy: i.policy,
    exclude: i.exclusions.list(key, i.now),
    current,
  });
  return { result, gaveUp, recheckAfterMs };
}
