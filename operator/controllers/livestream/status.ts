// The LiveStream's status from what the operator observed, as a chain of pure checks (cert-manager's
// readiness policies): each condition has a reason (CamelCase) and a message a user can act on.
import type {
  Accelerator,
  Condition,
  LiveFigures,
  LiveStream,
  LiveStreamStatus,
  PlacementStatus,
  TranscodeProfile,
} from '../../api/v1alpha1/index.js';
import { streamKeySecretRef } from '../../api/v1alpha1/index.js';
import type { ConditionInput } from '../../runtime/conditions.js';
import { mergeConditions } from '../../runtime/conditions.js';
import type { LiveView } from './live.js';

export interface WorkloadView {
  exists: boolean;
  /** Rolled out: the Deployment controller saw the latest spec and every replica is updated and available. */
  available: boolean;
  /** Why not available (a short sentence). */
  detail?: string;
  /** Pods refused or the rollout stuck: needs the user (Stalled). */
  failure?: string;
}

export interface PlacementView {
  placed: boolean;
  accelerator?: Accelerator;
  encoder?: string;
  fallback?: boolean;
  reason: string;
  message: string;
  gpuProduct?: string;
}

export interface TranscoderPodView {
  node?: string;
  unschedulable?: { since: string; message: string };
}

export interface Observed {
  stream: LiveStream;
  profile?: TranscodeProfile;
  placement?: PlacementView;
  /** The API server refused a child (its message), if it did. */
  applyProblem?: string;
  /** A problem with the user-named stream key Secret, if any. */
  keySecretProblem?: string;
  ingest: WorkloadView;
  transcoder: WorkloadView;
  transcoderPod?: TranscoderPodView;
  /** The GPU product of the node the transcoder pod is bound to. */
  nodeGpuProduct?: string;
  ingestUrl: string;
  playback: { hlsUrl?: string; dashUrl?: string; previewUrl?: string };
  live: LiveView;
  /** output.segmentSeconds is not a multiple of the profile's gopSeconds. */
  gopWarning?: string;
}

type C = ConditionInput;
const cond = (type: string, status: C['status'], reason: string, message: string): C => ({
  type,
  status,
  reason,
  message,
});

function profileMissing(o: Observed): string | undefined {
  if (o.profile) return undefined;
  return `TranscodeProfile ${o.stream.spec.profileRef.name} does not exist in namespace ${o.stream.metadata.namespace}; create it or change spec.profileRef.name`;
}

/** What blocks progress until the user changes something (kstatus Stalled), first match wins. */
function stalledBy(o: Observed): { reason: string; message: string } | undefined {
  const missing = profileMissing(o);
  if (missing) return { reason: 'ProfileNotFound', message: missing };
  if (o.keySecretProblem) return { reason: 'StreamKeySecretNotFound', message: o.keySecretProblem };
  if (o.applyProblem)
    return { reason: 'ChildRejected', message: `the API server refused a child: ${o.applyProblem}` };
  if (o.stream.spec.suspend) return undefined;
  if (o.placement && !o.placement.placed) return { reason: o.placement.reason, message: o.placement.message };
  if (o.ingest.failure)
    return {
      reason: 'IngestPodsFailing',
      message: `the ingest Deployment cannot run its pod: ${o.ingest.failure}`,
    };
  if (o.transcoder.failure)
    return {
      reason: 'TranscoderPodsFailing',
      message: `the transcoder Deployment cannot run its pod: ${o.transcoder.failure}`,
    };
  return undefined;
}

export function ingestCondition(o: Observed): C {
  if (o.stream.spec.suspend)
    return cond('IngestReady', 'False', 'Suspended', 'spec.suspend is true: the ingest is stopped');
  if (o.keySecretProblem) return cond('IngestReady', 'False', 'StreamKeySecretNotFound', o.keySecretProblem);
  if (o.ingest.available)
    return cond('IngestReady', 'True', 'Available', `encoders publish to ${o.ingestUrl}`);
  if (o.ingest.failure) return cond('IngestReady', 'False', 'PodsFailing', o.ingest.failure);
  return cond(
    'IngestReady',
    'False',
    o.ingest.exists ? 'Deploying' : 'NotCreated',
    o.ingest.detail ?? 'the ingest Deployment is being created',
  );
}

function placementText(p: PlacementView, node: string | undefined): string {
  return `transcoding ${p.accelerator} (${p.encoder})${node ? ` on ${node}` : ''}`;
}

export function transcoderCondition(o: Observed): C {
  const warn = o.gopWarning ? `; warning: ${o.gopWarning}` : '';
  if (o.stream.spec.suspend)
    return cond('TranscoderReady', 'False', 'Suspended', 'spec.suspend is true: the transcoder is stopped');
  const missing = profileMissing(o);
  if (missing) return cond('TranscoderReady', 'False', 'ProfileNotFound', missing);
  const p = o.placement;
  if (!p || !p.placed)
    return cond(
      'TranscoderReady',
      'False',
      p?.reason ?? 'NotPlaced',
      p?.message ?? 'the transcoder is not placed',
    );
  const pod = o.transcoderPod;
  if (pod?.unschedulable)
    return cond(
      'TranscoderReady',
      'False',
      'Unschedulable',
      `the transcoder pod cannot be scheduled since ${pod.unschedulable.since}: ${pod.unschedulable.message}`,
    );
  if (o.transcoder.available)
    return cond('TranscoderReady', 'True', 'Available', placementText(p, pod?.node) + warn);
  if (o.transcoder.failure)
    return cond('TranscoderReady', 'False', 'PodsFailing', o.transcoder.failure + warn);
  return cond(
    'TranscoderReady',
    'False',
    o.transcoder.exists ? 'Deploying' : 'NotCreated',
    (o.transcoder.detail ?? 'the transcoder Deployment is being created') + warn,
  );
}

export function liveCondition(o: Observed): C {
  if (o.stream.spec.suspend) return cond('Live', 'False', 'Suspended', 'spec.suspend is true');
  const l = o.live;
  switch (l.kind) {
    case 'disabled':
      return cond(
        'Live',
        'Unknown',
        'StatusSourceDisabled',
        'the operator does not read live status (--live-status=false); see the ingest and transcoder /status endpoints',
      );
    case 'pending': {
      const before = o.stream.status?.conditions?.find((c) => c.type === 'Live');
      if (before) return cond('Live', before.status, before.reason, before.message);
      return cond('Live', 'Unknown', 'NotAskedYet', 'the ingest and transcoder have not been asked yet');
    }
    case 'noPods':
      return cond('Live', 'Unknown', 'NoReadyPods', 'no ready ingest and transcoder pods to ask yet');
    case 'unreachable':
      return cond('Live', 'Unknown', 'StatusUnreachable', l.message);
    case 'ok': {
      if (!l.ingest.publishing)
        return cond('Live', 'False', 'WaitingForPublisher', `nobody publishes to ${o.ingestUrl}`);
      if (l.transcoder && l.transcoder.state !== 'Encoding')
        return cond(
          'Live',
          'False',
          `Transcoder${l.transcoder.state}`,
          `an encoder publishes; the transcoder is ${l.transcoder.state}${l.transcoder.lastRestartReason ? ` (last restart: ${l.transcoder.lastRestartReason})` : ''}`,
        );
      return cond('Live', 'True', 'Publishing', `publishing since ${l.ingest.since ?? 'now'}`);
    }
  }
}

export function fallbackCondition(o: Observed): C {
  const p = o.placement;
  if (!p || !p.placed)
    return cond('AcceleratorFallback', 'False', 'NotPlaced', 'the transcoder is not placed');
  if (p.fallback) return cond('AcceleratorFallback', 'True', p.reason, p.message);
  return cond(
    'AcceleratorFallback',
    'False',
    'Preferred',
    `running on the first preference, ${p.accelerator}`,
  );
}

export function readyCondition(o: Observed, ingest: C, transcoder: C): C {
  if (o.stream.spec.suspend)
    return cond(
      'Ready',
      'False',
      'Suspended',
      'spec.suspend is true: ingest and transcoder are stopped; Services and the stream key are kept',
    );
  const stalled = stalledBy(o);
  if (stalled) return cond('Ready', 'False', stalled.reason, stalled.message);
  if (ingest.status !== 'True') return cond('Ready', 'False', 'IngestNotReady', ingest.message);
  if (transcoder.status !== 'True') return cond('Ready', 'False', 'TranscoderNotReady', transcoder.message);
  const play = o.playback.hlsUrl ?? o.playback.dashUrl ?? o.playback.previewUrl;
  return cond('Ready', 'True', 'Ready', `publish to ${o.ingestUrl}; play ${play}`);
}

export function conditionsFor(o: Observed): C[] {
  const ingest = ingestCondition(o);
  const transcoder = transcoderCondition(o);
  const ready = readyCondition(o, ingest, transcoder);
  const stalled = stalledBy(o);
  const settling = !stalled && ready.status !== 'True' && !o.stream.spec.suspend;
  return [
    ready,
    settling
      ? cond('Reconciling', 'True', 'Progressing', ready.message)
      : cond('Reconciling', 'False', 'Reconciled', 'nothing left to do'),
    stalled
      ? cond('Stalled', 'True', stalled.reason, stalled.message)
      : cond('Stalled', 'False', 'AsExpected', 'no problem that needs you'),
    ingest,
    transcoder,
    liveCondition(o),
    fallbackCondition(o),
  ];
}

function ingestState(o: Observed): NonNullable<LiveStreamStatus['ingest']>['state'] {
  if (o.stream.spec.suspend) return 'Suspended';
  if (!o.ingest.available) return 'Pending';
  if (o.live.kind === 'ok' && o.live.ingest.publishing) return 'Publishing';
  if (o.live.kind === 'pending' && o.stream.status?.ingest?.state === 'Publishing') return 'Publishing';
  return 'Waiting';
}

function placementStatus(o: Observed): PlacementStatus | undefined {
  const p = o.placement;
  if (!p || !p.placed || o.stream.spec.suspend) return undefined;
  return {
    accelerator: p.accelerator,
    encoder: p.encoder,
    ...(o.transcoderPod?.node ? { node: o.transcoderPod.node } : {}),
    ...((o.nodeGpuProduct ?? p.gpuProduct) ? { gpuProduct: o.nodeGpuProduct ?? p.gpuProduct } : {}),
    reason: p.reason,
    message: p.message,
  };
}

export function liveFigures(o: Observed): LiveFigures | undefined {
  const l = o.live;
  if (l.kind === 'pending' && !o.stream.spec.suspend) return o.stream.status?.live;
  if (l.kind !== 'ok' || !l.ingest.publishing || o.stream.spec.suspend) return undefined;
  const v = l.ingest.video;
  const t = l.transcoder;
  const round = (n: number | null | undefined, d = 0) =>
    n === null || n === undefined ? undefined : Number(n.toFixed(d));
  const figures: LiveFigures = {
    publishingSince: l.ingest.since ?? undefined,
    codec: v?.codec,
    resolution: v?.width && v.height ? `${v.width}x${v.height}` : undefined,
    fps: round(v?.framesPerSecond, 1),
    // Quantised to 100 kb/s so small fluctuations do not rewrite the status.
    bitrateKbps: Math.round(l.ingest.bitsPerSecond / 100_000) * 100,
    keyframeIntervalSeconds: round(v?.keyframeIntervalSeconds, 1),
    transcoderSpeed: t?.speed === null || t?.speed === undefined ? undefined : Number(t.speed.toFixed(1)),
    renditions: t?.renditions.map((r) => ({ name: r.name, state: r.state })),
  };
  return JSON.parse(JSON.stringify(figures)) as LiveFigures;
}

/** The whole status to write; conditions keep their transition times when unchanged. */
export function statusFor(o: Observed, now: Date): LiveStreamStatus {
  const previous: Condition[] | undefined = o.stream.status?.conditions;
  const status: LiveStreamStatus = {
    observedGeneration: o.stream.metadata.generation,
    conditions: mergeConditions(previous, conditionsFor(o), o.stream.metadata.generation, now),
    ingest: {
      state: ingestState(o),
      url: o.ingestUrl,
      streamKeySecretRef: streamKeySecretRef(o.stream),
    },
    playback: o.playback,
  };
  const placement = placementStatus(o);
  if (placement) status.placement = placement;
  const live = liveFigures(o);
  if (live) status.live = live;
  return status;
}
