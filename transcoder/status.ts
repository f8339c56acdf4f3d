// GET :9090/status of the transcoder: its live state for the operator, which imports
// `TranscoderStatus` (type-only) and turns it into the LiveStream's TranscoderReady/Live conditions
// and live figures. Never contains the play token.
import type { Accelerator } from '../operator/api/v1alpha1/types.js';

export type TranscoderState =
  | 'WaitingForPublisher'
  | 'Starting'
  | 'Encoding'
  | 'Restarting'
  | 'Stalled'
  | 'Stopping'
  /** No encoder this config allows can run here (lastError says why); ffmpeg is not started. */
  | 'Failed';

export interface TranscoderStatus {
  /** Serving: config valid, ffmpeg usable, origin listening. */
  ready: boolean;
  notReadyReason?: string;
  state: TranscoderState;
  /** The accelerator the operator asked for and the one in use (they differ after a fallback). */
  requestedAccelerator: Accelerator;
  accelerator: Accelerator;
  /** ffmpeg encoder in use, e.g. libx264, h264_nvenc, h264_vaapi. */
  encoder: string;
  /** Why the encoder differs from the best one for the requested accelerator (null when it doesn't). */
  fallbackReason: string | null;
  /** Since when the current ffmpeg has been encoding (RFC 3339), null when not encoding. */
  encodingSince: string | null;
  /** ffmpeg -progress figures of the running ffmpeg; null when none runs. */
  speed: number | null;
  fps: number | null;
  droppedFrames: number;
  duplicatedFrames: number;
  restarts: number;
  lastRestartReason: string | null;
  renditions: TranscoderRenditionStatus[];
  /** Encoding and every rendition wrote a segment recently: viewers get fresh video. */
  live: boolean;
  /** How ffmpeg reaches the hardware: software, nvenc, vaapi, qsv or amf. */
  api: string;
  /** Where the source is decoded: software, cuda or vaapi. */
  decode: string;
  /** The ffmpeg in use ("5.1.9-0+deb12u1"), null before the probe. */
  ffmpegVersion: string | null;
  /** The last problem (ffmpeg's error, an unreachable ingest, no usable encoder); null when none. */
  lastError: string | null;
}

export interface TranscoderRenditionStatus {
  name: string;
  state: 'Pending' | 'Encoding' | 'Stalled';
  /** Measured from the segments written in the last few segment lengths. */
  bitsPerSecond: number | null;
  /** Age of the newest segment in seconds, null before the first. */
  newestSegmentAgeSeconds: number | null;
  /** Video + audio bits per second the ladder asks for; null for a passthrough. */
  targetBitsPerSecond: number | null;
  /** Duration of the newest segment (EXTINF), null before the first. */
  segmentSeconds: number | null;
  /** Output frame rate; null for a passthrough. */
  frameRate: number | null;
}
