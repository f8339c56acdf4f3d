// The transcoder's job, as the operator renders it (ConfigMap `<stream>-transcoder`, key
// `transcoder.yaml`, mounted read-only) and `livestream-transcoder --config FILE` reads it.
// This type is the contract between the two: the operator builds it (operator/build), the
// transcoder validates it at start and builds its ffmpeg arguments from it (transcoder/ffmpeg).
// Bitrates here are bits per second (the API's kbps x 1000), so ffmpeg arguments need no units.
import type { Accelerator, AmdEncoderApi, VideoCodec } from '../operator/api/v1alpha1/types.js';

export interface TranscoderConfig {
  /** Which LiveStream this is: labels on metrics and logs. */
  stream: { namespace: string; name: string };
  ingest: {
    /** The raw stream, without the token: rtmp://<stream>-ingest.<ns>.svc:1935/live/stream */
    pullUrl: string;
    /** The ingest's status endpoint (IngestStatus), polled until an encoder publishes. */
    statusUrl: string;
    /** File holding the internal play token, sent as ?token= (the `<stream>-play-token` Secret). */
    playTokenFile: string;
    /** ffmpeg's read timeout on the pull (-rw_timeout); default 5. */
    readTimeoutSeconds?: number;
  };
  /** The accelerator the operator placed the pod on. */
  accelerator: Accelerator;
  /** AMD only: how ffmpeg reaches the GPU (default vaapi). */
  amdApi?: AmdEncoderApi;
  ladder: {
    codec: VideoCodec;
    gopSeconds: number;
    /** Profile-wide frame-rate cap (limits.maxFps). */
    maxFps?: number;
    audio?: { sampleRateHz: 44100 | 48000; channels: number };
    renditions: LadderRendition[];
    /** An extra variant with the source video copied, under this name. */
    passthrough?: { name: string };
  };
  tuning?: {
    x264?: { preset?: string; tune?: string };
    nvenc?: { preset?: string; tune?: string };
    amd?: { quality?: 'speed' | 'balanced' | 'quality' };
  };
  output: {
    /** Where segments and playlists are written (an emptyDir in the pod). */
    directory: string;
    segmentSeconds: number;
    playlistSize: number;
    /** Default true. */
    hls?: boolean;
    /** Default false. */
    dash?: boolean;
  };
  supervisor?: {
    /** No ffmpeg progress for this long counts as a stall and restarts ffmpeg (default 10). */
    noProgressSeconds?: number;
    restartBackoff?: { initialSeconds?: number; maxSeconds?: number };
  };
}

export interface LadderRendition {
  name: string;
  width: number;
  height: number;
  /** Bits per second. */
  videoBitrate: number;
  videoMaxrate?: number;
  /** Bits. */
  videoBufsize?: number;
  maxFps?: number;
  /** Bits per second. */
  audioBitrate: number;
}
