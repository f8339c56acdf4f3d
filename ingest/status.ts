// GET :9090/status — the ingest's live state for the operator, which imports `IngestStatus`
// (type-only) and turns it into the LiveStream's IngestReady/Live conditions and live figures.
// Never contains a stream key or play token.
import type { EndReason, Stream, Transport } from './rtmp/stream.js';

export interface IngestStatus {
  /** Accepting publishes: listeners bound, a valid stream key loaded, not shutting down. */
  ready: boolean;
  /** Why not ready (absent when ready), for a condition message. */
  notReadyReason?: string;
  /** The stream path pullers use (always "/live/stream"). */
  streamPath: string;
  /** An encoder is publishing now. */
  publishing: boolean;
  /** When the current publish started (RFC 3339), null when nobody publishes. */
  since: string | null;
  publisher: PublisherStatus | null;
  video: VideoStatus | null;
  audio: AudioStatus | null;
  /** Audio + video bitrate measured from the relayed media over the last 5 s. */
  bitsPerSecond: number;
  /** Seconds since the last media message (null when nobody publishes); a stalled encoder shows here. */
  lastMediaAgeSeconds: number | null;
  /** Subscribers (the transcoder's pulls) connected now. */
  subscribers: number;
  subscriberSessions: SubscriberStatus[];
  /** How the previous publish ended (null until one has ended since start). */
  lastPublish: LastPublishStatus | null;
}

export interface PublisherStatus {
  /** "address:port" of the encoder as this pod sees it (a NAT or load balancer may hide the real one). */
  remoteAddress: string;
  transport: Transport;
  /** The encoder's self-description from its metadata (e.g. "obs-output module (libobs version 30.2.3)"). */
  encoder: string | null;
  receivedBytes: number;
}

export interface VideoStatus {
  /** h264, hevc, av1, vp9, ... */
  codec: string;
  profile: string | null;
  level: string | null;
  width: number | null;
  height: number | null;
  framesPerSecond: number;
  /** Time between the last two keyframes, null until two were seen. */
  keyframeIntervalSeconds: number | null;
  bitsPerSecond: number;
}

export interface AudioStatus {
  /** aac, mp3, opus, ... */
  codec: string;
  profile: string | null;
  sampleRateHz: number | null;
  channels: number | null;
  bitsPerSecond: number;
}

export interface SubscriberStatus {
  id: string;
  remoteAddress: string;
  transport: Transport;
  since: string;
  sentBytes: number;
  /** Bytes waiting in the ingest for this subscriber (bounded by --subscriber-queue-bytes). */
  queuedBytes: number;
  droppedFrames: number;
}

export interface LastPublishStatus {
  startedAt: string;
  endedAt: string;
  reason: EndReason;
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));
const iso = (ms: number): string => new Date(ms).toISOString();

export function buildStatus(stream: Stream, readiness: string | undefined, now: number): IngestStatus {
  const publisher = stream.publisher;
  const rates = stream.rates.snapshot();
  const { video, audio, encoder } = stream.info;
  const status: IngestStatus = {
    ready: readiness === undefined,
    streamPath: stream.path,
    publishing: publisher !== undefined,
    since: stream.since === undefined ? null : iso(stream.since),
    publisher: publisher
      ? {
          remoteAddress: publisher.remoteAddress,
          transport: publisher.transport,
          encoder,
          receivedBytes: publisher.receivedBytes,
        }
      : null,
    video: video
      ? {
          ...video,
          framesPerSecond: round(rates.framesPerSecond, 2),
          keyframeIntervalSeconds:
            rates.keyframeIntervalSeconds === null ? null : round(rates.keyframeIntervalSeconds, 3),
          bitsPerSecond: Math.round(rates.videoBitsPerSecond),
        }
      : null,
    audio: audio ? { ...audio, bitsPerSecond: Math.round(rates.audioBitsPerSecond) } : null,
    bitsPerSecond: Math.round(rates.videoBitsPerSecond + rates.audioBitsPerSecond),
    lastMediaAgeSeconds:
      stream.lastMediaAt === undefined ? null : round((now - stream.lastMediaAt) / 1000, 3),
    subscribers: stream.subscriberCount,
    subscriberSessions: stream.subscriberList().map((s) => ({
      id: s.id,
      remoteAddress: s.remoteAddress,
      transport: s.transport,
      since: iso(s.since),
      sentBytes: s.sentBytes,
      queuedBytes: s.queuedBytes,
      droppedFrames: s.droppedFrames,
    })),
    lastPublish: stream.lastPublish
      ? {
          startedAt: iso(stream.lastPublish.startedAt),
          endedAt: iso(stream.lastPublish.endedAt),
          reason: stream.lastPublish.reason,
        }
      : null,
  };
  if (readiness !== undefined) status.notReadyReason = readiness;
  return status;
}
