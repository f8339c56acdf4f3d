// Prometheus metrics of the transcoder (names used by the chart's dashboard and alerts; see
// docs/transcoder.md). Gauges read the live state when scraped; counters are moved on events.
// namespace/livestream labels come from Prometheus relabeling, not from here.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { RequestKind } from './origin/files.js';
import type { TranscoderState, TranscoderStatus } from './status.js';

const STATES: TranscoderState[] = [
  'WaitingForPublisher',
  'Starting',
  'Encoding',
  'Restarting',
  'Stalled',
  'Stopping',
  'Failed',
];

export interface MetricsSource {
  status(): TranscoderStatus;
  /** Segments written so far, per rendition. */
  segmentsTotal(): Map<string, number>;
  stalled(): boolean;
}

export class TranscoderMetrics {
  readonly registry = new Registry();
  private readonly restarts: Counter<'reason'>;
  private readonly requests: Counter<'kind' | 'code'>;

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
    new Gauge({
      name: 'livestream_transcoder_info',
      help: 'Always 1: the accelerator asked for and the one in use, the ffmpeg API, encoder, decoder and version.',
      labelNames: ['requested_accelerator', 'accelerator', 'api', 'encoder', 'decode', 'ffmpeg_version'],
      registers,
      collect() {
        const s = source.status();
        this.reset();
        this.labels(
          s.requestedAccelerator,
          s.accelerator,
          s.api,
          s.encoder,
          s.decode,
          s.ffmpegVersion ?? '',
        ).set(1);
      },
    });
    new Gauge({
      name: 'livestream_transcoder_state',
      help: '1 for the state the transcoder is in, 0 for the others.',
      labelNames: ['state'],
      registers,
      collect() {
        const now = source.status().state;
        for (const state of STATES) this.labels(state).set(state === now ? 1 : 0);
      },
    });
    const simple = (name: string, help: string, read: (s: TranscoderStatus) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(source.status()));
        },
      });
    simple('livestream_transcoder_live', '1 while encoding and every rendition has a fresh segment.', (s) =>
      s.live ? 1 : 0,
    );
    simple(
      'livestream_transcoder_speed_ratio',
      'Encoding speed against real time over the last 10 s (0 when not encoding).',
      (s) => s.speed ?? 0,
    );
    simple(
      'livestream_transcoder_fps',
      'Frames per second ffmpeg encodes (0 when not encoding).',
      (s) => s.fps ?? 0,
    );
    simple(
      'livestream_transcoder_accelerator_fallback',
      '1 when the encoder in use is not the best one for the requested accelerator.',
      (s) => (s.fallbackReason === null ? 0 : 1),
    );
    new Gauge({
      name: 'livestream_transcoder_stalled',
      help: '1 from a detected stall (no progress, or too slow) until the next run encodes.',
      registers,
      collect() {
        this.set(source.stalled() ? 1 : 0);
      },
    });
    const frameCounter = (name: string, help: string, read: (s: TranscoderStatus) => number) => {
      let reported = 0;
      new Counter({
        name,
        help,
        registers,
        collect() {
          const value = read(source.status());
          if (value > reported) this.inc(value - reported);
          else this.inc(0);
          reported = Math.max(reported, value);
        },
      });
    };
    frameCounter(
      'livestream_transcoder_dropped_frames_total',
      'Frames ffmpeg dropped (all runs).',
      (s) => s.droppedFrames,
    );
    frameCounter(
      'livestream_transcoder_duplicated_frames_total',
      'Frames ffmpeg duplicated (all runs).',
      (s) => s.duplicatedFrames,
    );
    this.restarts = new Counter({
      name: 'livestream_transcoder_restarts_total',
      help: 'ffmpeg runs that ended, by reason: input_ended, publisher_changed, ffmpeg_failed, stalled.',
      labelNames: ['reason'],
      registers,
    });
    this.requests = new Counter({
      name: 'livestream_transcoder_origin_requests_total',
      help: 'Requests to the HTTP origin, by kind (master, playlist, manifest, init, segment, preview, player, other) and status code.',
      labelNames: ['kind', 'code'],
      registers,
    });
    const perRendition = (
      name: string,
      help: string,
      read: (r: TranscoderStatus['renditions'][number]) => number | null,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['rendition'],
        registers,
        collect() {
          this.reset();
          for (const r of source.status().renditions) {
            const value = read(r);
            if (value !== null) this.labels(r.name).set(value);
          }
        },
      });
    perRendition(
      'livestream_transcoder_rendition_live',
      '1 while the rendition writes fresh segments.',
      (r) => (r.state === 'Encoding' ? 1 : 0),
    );
    perRendition(
      'livestream_transcoder_rendition_bytes_per_second',
      'Bytes per second of the newest segments (video + audio).',
      (r) => (r.bitsPerSecond === null ? null : r.bitsPerSecond / 8),
    );
    perRendition(
      'livestream_transcoder_rendition_target_bytes_per_second',
      'Bytes per second the ladder asks for (video + audio).',
      (r) => (r.targetBitsPerSecond === null ? null : r.targetBitsPerSecond / 8),
    );
    perRendition(
      'livestream_transcoder_rendition_newest_segment_age_seconds',
      'Age of the newest segment file.',
      (r) => r.newestSegmentAgeSeconds,
    );
    perRendition(
      'livestream_transcoder_rendition_segment_seconds',
      'Duration of the newest segment (EXTINF).',
      (r) => r.segmentSeconds,
    );
    const reportedSegments = new Map<string, number>();
    new Counter({
      name: 'livestream_transcoder_segments_total',
      help: 'Segments written, per rendition.',
      labelNames: ['rendition'],
      registers,
      collect() {
        for (const [rendition, total] of source.segmentsTotal()) {
          const before = reportedSegments.get(rendition) ?? 0;
          this.labels(rendition).inc(Math.max(0, total - before));
          reportedSegments.set(rendition, Math.max(before, total));
        }
      },
    });
  }

  restarted(reason: string): void {
    this.restarts.labels(reason).inc();
  }

  request(kind: RequestKind, code: number): void {
    this.requests.labels(kind, String(code)).inc();
  }
}
