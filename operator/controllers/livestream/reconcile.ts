// One LiveStream, level-based: read everything from the caches, decide, apply what differs, write the
// status once if it changed. Steps: profile -> Secrets -> placement -> children (apply, prune) ->
// observe (Deployments, the transcoder pod, Services, live status) -> status, events, metrics.
import type {
  Accelerator,
  LiveStream,
  LiveStreamStatus,
  TranscodeProfile,
} from '../../api/v1alpha1/index.js';
import type { Logger } from '../../../lib/log.js';
import { desiredChildren, type BuildContext } from '../../build/index.js';
import type { PlacementPolicy, PlacementResult } from '../../placement/index.js';
import { BY_OWNER, type Caches } from '../../cluster/caches.js';
import { applyChildren, applyStatus } from '../../runtime/apply.js';
import type { Cache } from '../../runtime/cache.js';
import { findCondition, statusChanged, transitions } from '../../runtime/conditions.js';
import type { Result } from '../../runtime/controller.js';
import type { EventRecorder } from '../../runtime/events.js';
import { ApiError, isNotFound, type KubeClient, type KubeObject } from '../../runtime/rest.js';
import { kinds, objectPath } from '../../runtime/resources.js';
import type { LivePoller, LiveView } from './live.js';
import type { StreamMetrics } from './metrics.js';
import { Exclusions, place, transcoderPods } from './placement.js';
import { ensureSecrets } from './secrets.js';
import { statusFor, type Observed, type PlacementView, type WorkloadView } from './status.js';
import { ingestUrl, playbackUrls } from './urls.js';

export interface LiveStreamReconcilerDeps {
  client: KubeClient;
  caches: Caches;
  events: EventRecorder;
  log: Logger;
  policy: PlacementPolicy;
  build: BuildContext;
  clusterDomain: string;
  unschedulableTimeoutMs: number;
  live: LivePoller;
  metrics: StreamMetrics;
  now?: () => Date;
  /** How often a healthy stream is looked at again anyway (catches what no event announces). */
  resyncMs?: number;
}

const PRUNABLE = ['Deployment', 'Service', 'ConfigMap'] as const;

export class LiveStreamReconciler {
  readonly exclusions: Exclusions;
  /** When each stream's children were last applied in full (see applyChildren's `force`). */
  private readonly fullApplyAt = new Map<string, number>();

  constructor(private readonly d: LiveStreamReconcilerDeps) {
    this.exclusions = new Exclusions(Math.max(10 * d.unschedulableTimeoutMs, 10 * 60_000));
  }

  private get resyncMs(): number {
    return this.d.resyncMs ?? 10 * 60_000;
  }

  private now(): Date {
    return this.d.now?.() ?? new Date();
  }

  async reconcile(key: string): Promise<Result | void> {
    const stream = this.d.caches.streams.get(key);
    if (!stream) return this.forget(key);
    if (stream.metadata.deletionTimestamp) return; // garbage collection removes the children
    const ns = stream.metadata.namespace!;
    const log = this.d.log.child({ livestream: key });
    const profile = this.d.caches.profiles.getIn(ns, stream.spec.profileRef.name);
    const keySecretProblem = await ensureSecrets(this.d.client, this.d.caches.secrets, stream);

    let placementView: PlacementView | undefined;
    let recheckAfterMs: number | undefined;
    if (profile) {
      let result: PlacementResult | undefined;
      if (!stream.spec.suspend) {
        const outcome = place({
          stream,
          profile,
          nodes: this.d.caches.nodes.list(),
          pods: this.d.caches.pods,
          policy: this.d.policy,
          exclusions: this.exclusions,
          unschedulableTimeoutMs: this.d.unschedulableTimeoutMs,
          now: this.now().getTime(),
        });
        result = outcome.result;
        recheckAfterMs = outcome.recheckAfterMs;
        if (outcome.gaveUp) await this.gaveUp(stream, outcome.gaveUp, result, log);
        placementView = viewOf(result);
      }
      const desired = this.desired(stream, profile, result);
      const force = this.fullApplyDue(key);
      try {
        const outcome = await applyChildren(
          this.d.client,
          stream as unknown as KubeObject,
          desired,
          (kind) => this.cacheOf(kind),
          force,
        );
        if (force) this.fullApplyAt.set(key, this.now().getTime());
        // A periodic full apply mostly changes nothing (the API server writes nothing): not news.
        if (force) log.debug('applied every child (periodic full apply)', { applied: outcome.applied });
        else if (outcome.applied.length) log.info('applied children', { applied: outcome.applied });
        await this.prune(stream, desired, log);
      } catch (err) {
        // The API server refused a child (e.g. a nodePort already taken): say so in status, then retry.
        if (!(err instanceof ApiError) || err.code < 400 || err.code >= 500 || err.code === 409) throw err;
        const observed = this.observe(stream, profile, placementView, keySecretProblem);
        observed.applyProblem = err.message;
        await this.writeStatus(stream, observed, log);
        throw err;
      }
    }

    const observed = this.observe(stream, profile, placementView, keySecretProblem);
    await this.writeStatus(stream, observed, log);
    const resync = this.resyncMs;
    return { requeueAfterMs: Math.min(recheckAfterMs ?? resync, resync) };
  }

  /**
   * Whether to apply every child even though the cache says it is as desired: once per resync period,
   * to put back edits the cache cannot see. Not at the first sight of a stream, so that an operator
   * restart sends nothing.
   */
  private fullApplyDue(key: string): boolean {
    const now = this.now().getTime();
    const last = this.fullApplyAt.get(key);
    if (last === undefined) this.fullApplyAt.set(key, now);
    // 0.9: the resync timer fires at the period, give or take the queue's delay.
    return last !== undefined && now - last >= 0.9 * this.resyncMs;
  }

  private forget(key: string): void {
    this.fullApplyAt.delete(key);
    const [namespace, name] = key.split('/') as [string, string];
    this.d.metrics.forget(namespace, name);
    this.d.live.forget(key);
    this.exclusions.forget(key);
  }

  private cacheOf(kind: string): Cache<KubeObject> | undefined {
    const c = this.d.caches;
    return (
      {
        Deployment: c.deployments,
        Service: c.services,
        ConfigMap: c.configMaps,
        Secret: c.secrets,
      } as Record<string, Cache<KubeObject>>
    )[kind];
  }

  /** What should exist: no Deployments while suspended, no transcoder while it cannot be placed. */
  private desired(
    stream: LiveStream,
    profile: TranscodeProfile,
    result: PlacementResult | undefined,
  ): KubeObject[] {
    const placed = result?.placed ? result : undefined;
    const all = desiredChildren(stream, profile, placed, this.d.build) as KubeObject[];
    const transcoderName = `${stream.metadata.name}-transcoder`;
    return all.filter((o) => {
      if (o.kind !== 'Deployment') return true;
      if (stream.spec.suspend) return false;
      return placed !== undefined || o.metadata.name !== transcoderName;
    });
  }

  /** Deletes owned Deployments, Services and ConfigMaps that are no longer desired (never Secrets). */
  private async prune(stream: LiveStream, desired: KubeObject[], log: Logger): Promise<void> {
    const want = new Set(desired.map((o) => `${o.kind}/${o.metadata.name}`));
    for (const kind of PRUNABLE) {
      for (const child of this.cacheOf(kind)!.byIndex(BY_OWNER, stream.metadata.uid!)) {
        if (want.has(`${kind}/${child.metadata.name}`) || child.metadata.deletionTimestamp) continue;
        try {
          await this.d.client.delete(
            objectPath(kinds[kind], child.metadata.namespace, child.metadata.name!),
            {
              propagationPolicy: 'Background',
              preconditions: { uid: child.metadata.uid },
            },
          );
          log.info('deleted a child no longer needed', { child: `${kind}/${child.metadata.name}` });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
  }

  private observe(
    stream: LiveStream,
    profile: TranscodeProfile | undefined,
    placement: PlacementView | undefined,
    keySecretProblem: string | undefined,
  ): Observed {
    const ns = stream.metadata.namespace!;
    const name = stream.metadata.name!;
    const key = `${ns}/${name}`;
    const nodes = this.d.caches.nodes.list();
    const pod = representative(transcoderPods(this.d.caches.pods, key));
    const live: LiveView = this.d.live.view(key);
    const gop = profile?.spec.video.gopSeconds;
    const seg = stream.spec.output.segmentSeconds;
    return {
      stream,
      profile,
      placement,
      keySecretProblem,
      ingest: workload(this.d.caches.deployments.getIn(ns, `${name}-ingest`)),
      transcoder: workload(this.d.caches.deployments.getIn(ns, `${name}-transcoder`)),
      transcoderPod: pod ? { node: pod.nodeName, unschedulable: pod.unschedulable } : undefined,
      nodeGpuProduct: gpuProductOf(
        pod?.nodeName ? this.d.caches.nodes.getIn(undefined, pod.nodeName) : undefined,
      ),
      ingestUrl: ingestUrl(
        stream,
        this.d.caches.services.getIn(ns, `${name}-ingest`) as never,
        this.d.clusterDomain,
        nodes,
      ),
      playback: playbackUrls(
        stream,
        this.d.caches.services.getIn(ns, `${name}-playback`) as never,
        this.d.clusterDomain,
        nodes,
      ),
      live,
      gopWarning:
        gop && seg % gop !== 0
          ? `output.segmentSeconds ${seg} is not a multiple of the profile's video.gopSeconds ${gop}: segments will not start on keyframes and their lengths will vary`
          : undefined,
    };
  }

  private async writeStatus(stream: LiveStream, o: Observed, log: Logger): Promise<void> {
    const next = statusFor(o, this.now());
    const live = this.d.live.view(`${stream.metadata.namespace}/${stream.metadata.name}`);
    this.d.metrics.update(
      stream,
      next,
      live.kind === 'ok' && live.ingest.publishing ? live.ingest.bitsPerSecond : undefined,
    );
    if (!statusChanged(stream.status, next)) return;
    await applyStatus(this.d.client, kinds.LiveStream, stream as unknown as KubeObject, next);
    log.debug('status written', { ready: findCondition(next.conditions, 'Ready')?.status });
    await this.announce(stream, stream.status, next, o);
  }

  /** Events for what a user must see: placement, fallback, stalls, suspend, publish. */
  private async announce(
    stream: LiveStream,
    before: LiveStreamStatus | undefined,
    after: LiveStreamStatus,
    o: Observed,
  ): Promise<void> {
    const ev = this.d.events;
    const obj = stream as unknown as KubeObject;
    const p = after.placement;
    const q = before?.placement;
    if (p && (p.accelerator !== q?.accelerator || p.encoder !== q?.encoder))
      await ev.record(
        obj,
        'Normal',
        'Placed',
        'Place',
        `transcoder placed on ${p.accelerator} (${p.encoder}): ${p.message}`,
      );
    for (const c of transitions(before?.conditions, after.conditions ?? [])) {
      if (c.type === 'AcceleratorFallback' && c.status === 'True')
        await ev.record(obj, 'Warning', c.reason, 'Place', c.message);
      if (c.type === 'Stalled' && c.status === 'True')
        await ev.record(obj, 'Warning', c.reason, 'Reconcile', c.message);
      if (c.type === 'Ready' && c.reason === 'Suspended')
        await ev.record(obj, 'Normal', 'Suspended', 'Suspend', c.message);
      if (c.type === 'Ready' && c.status === 'True')
        await ev.record(obj, 'Normal', 'Ready', 'Reconcile', c.message);
      if (c.type === 'Live' && c.status === 'True')
        await ev.record(obj, 'Normal', 'Published', 'Observe', c.message);
      if (
        c.type === 'Live' &&
        c.status === 'False' &&
        findCondition(before?.conditions, 'Live')?.status === 'True'
      )
        await ev.record(obj, 'Normal', 'Unpublished', 'Observe', c.message);
    }
    if (o.gopWarning) await ev.record(obj, 'Warning', 'SegmentNotAlignedToGop', 'Reconcile', o.gopWarning);
  }

  private async gaveUp(
    stream: LiveStream,
    g: { accelerator: Accelerator; message: string },
    result: PlacementResult,
    log: Logger,
  ): Promise<void> {
    const next = result.placed
      ? `placing it on ${result.accelerator} instead`
      : `nothing else fits: ${result.message}`;
    const note = `the transcoder pod stayed unschedulable on ${g.accelerator} for longer than ${Math.round(this.d.unschedulableTimeoutMs / 1000)} s (${g.message}); ${next}`;
    log.warn('transcoder unschedulable; placing again', {
      accelerator: g.accelerator,
      placed: result.placed,
    });
    await this.d.events.record(stream as unknown as KubeObject, 'Warning', 'Unschedulable', 'Place', note);
  }
}

function viewOf(r: PlacementResult): PlacementView {
  if (!r.placed) return { placed: false, reason: r.reason, message: r.message };
  return {
    placed: true,
    accelerator: r.accelerator,
    encoder: r.encoder,
    fallback: r.fallback,
    reason: r.reason,
    message: r.message,
    gpuProduct: r.gpuProduct,
  };
}

interface DeploymentLike {
  metadata: { generation?: number; deletionTimestamp?: string };
  spec?: { replicas?: number };
  status?: {
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
  };
}

export function workload(obj: KubeObject | undefined): WorkloadView {
  if (!obj) return { exists: false, available: false };
  const d = obj as unknown as DeploymentLike;
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const seen = (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
  const updated = s.updatedReplicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const total = s.replicas ?? 0;
  if (seen && want > 0 && updated >= want && available >= want && total <= want)
    return { exists: true, available: true };
  // Pods refused at creation (admission, a missing RuntimeClass, quota) or a rollout past its deadline.
  const failure = s.conditions?.find(
    (c) =>
      (c.type === 'ReplicaFailure' && c.status === 'True') ||
      (c.type === 'Progressing' && c.status === 'False'),
  );
  if (failure) return { exists: true, available: false, failure: `${failure.reason}: ${failure.message}` };
  return {
    exists: true,
    available: false,
    detail: seen
      ? `rolling out: ${updated} of ${want} updated, ${available} available`
      : 'waiting for the Deployment controller to see the latest spec',
  };
}

/** The GPU product label of the node the transcoder landed on. */
function gpuProductOf(
  node: { metadata: { labels: Record<string, string> } } | undefined,
): string | undefined {
  return node?.metadata.labels['nvidia.com/gpu.product'] ?? node?.metadata.labels['amd.com/gpu.product-name'];
}

/** The pod whose node and scheduling state status shows: a ready one, else a scheduled one, else any. */
function representative<T extends { ready: boolean; nodeName?: string }>(pods: T[]): T | undefined {
  return pods.find((p) => p.ready) ?? pods.find((p) => p.nodeName) ?? pods[0];
}
