// The transcoder's live state as /status shows it (TranscoderStatus), built from the supervisor's
// snapshot and the segment figures. Pure: the metrics read the same object.
import type { Settings } from './config.js';
import type { EncoderPlan } from './ffmpeg/encoders.js';
import type { RenditionFigures } from './output/segments.js';
import type { SupervisorSnapshot } from './supervisor/supervisor.js';
import type { TranscoderRenditionStatus, TranscoderStatus } from './status.js';

export interface ReportInput {
  settings: Settings;
  plan: EncoderPlan | null;
  ffmpegVersion: string | null;
  /** Why no encoder can run (state Failed), when so. */
  failure: string | null;
  notReadyReason: string | undefined;
  supervisor: SupervisorSnapshot | null;
  figures: RenditionFigures[];
}

/** A rendition counts as fresh while its newest segment is younger than this. */
export function freshLimitSeconds(segmentSeconds: number): number {
  return 2 * segmentSeconds + 3;
}

const round = (v: number | null, digits: number) => (v === null ? null : Number(v.toFixed(digits)));

export function buildStatus(i: ReportInput): TranscoderStatus {
  const sup = i.supervisor;
  const state = i.failure ? 'Failed' : (sup?.state ?? 'WaitingForPublisher');
  const limit = freshLimitSeconds(i.settings.output.segmentSeconds);
  const names = [
    ...i.settings.ladder.renditions.map((r) => r.name),
    ...(i.settings.ladder.passthrough ? [i.settings.ladder.passthrough.name] : []),
  ];
  const renditions = names.map((name): TranscoderRenditionStatus => {
    const f = i.figures.find((x) => x.name === name);
    const layout = sup?.layout?.renditions.find((r) => r.name === name);
    const age = f?.newestSegmentAgeSeconds ?? null;
    const fresh = age !== null && age <= limit;
    return {
      name,
      state: fresh ? 'Encoding' : age !== null && state === 'Encoding' ? 'Stalled' : 'Pending',
      bitsPerSecond: f?.bitsPerSecond ?? null,
      newestSegmentAgeSeconds: round(age, 3),
      targetBitsPerSecond: f?.targetBitsPerSecond ?? layout?.targetBitsPerSecond ?? null,
      segmentSeconds: f?.segmentSeconds ?? null,
      frameRate: layout?.frameRate ?? null,
    };
  });
  const status: TranscoderStatus = {
    ready: i.notReadyReason === undefined,
    state,
    requestedAccelerator: i.settings.accelerator,
    accelerator: i.plan?.accelerator ?? i.settings.accelerator,
    encoder: i.plan?.encoder ?? '',
    fallbackReason: i.plan?.fallbackReason ?? null,
    encodingSince: sup?.encodingSince ? new Date(sup.encodingSince).toISOString() : null,
    speed: round(sup?.speed ?? null, 3),
    fps: round(sup?.fps ?? null, 2),
    droppedFrames: sup?.droppedFrames ?? 0,
    duplicatedFrames: sup?.duplicatedFrames ?? 0,
    restarts: sup?.restarts ?? 0,
    lastRestartReason: sup?.lastRestartReason ?? null,
    renditions,
    live: state === 'Encoding' && renditions.every((r) => r.state === 'Encoding'),
    api: i.plan?.api ?? '',
    decode: i.plan?.decode ?? '',
    ffmpegVersion: i.ffmpegVersion,
    lastError: i.failure ?? sup?.lastError ?? null,
  };
  if (i.notReadyReason !== undefined) status.notReadyReason = i.notReadyReason;
  return status;
}
