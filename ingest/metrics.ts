// Prometheus metrics of the ingest (standard names: base units, `_total` counters). The per-packet
// and per-read counters are plain numbers moved into prom-client when scraped (a labelled inc() per
// packet would cost more than the relay itself); the live figures are read from the stream.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { RejectReason } from './rtmp/conn.js';
import type { ServerObserver } from './rtmp/server.js';
import type { EndReason, Stream, Transport } from './rtmp/stream.js';

type Track = 'video' | 'audio';

/** A counter whose hot-path increments are summed locally and handed to prom-client on scrape. */
function hotCounter<L extends string>(
  registers: Registry[],
  name: string,
  help: string,
  labelName: L | undefined,
  labelValues: readonly string[],
): Record<string, number> {
  const pending: Record<string, number> = Object.fromEntries(labelValues.map((v) => [v, 0]));
  new Counter({
    name,
    help,
    labelNames: labelName ? [labelName] : [],
    registers,
    collect() {
      for (const value of labelValues) {
        const n = pending[value]!;
        if (n === 0) continue;
        pending[value] = 0;
        if (labelName) this.labels(value).inc(n);
        else this.inc(n);
      }
      // Series exist from the start (0), so rate() works from the first scrape.
      if (labelName) for (const value of labelValues) this.labels(value).inc(0);
      else this.inc(0);
    },
  });
  return pending;
}

export class IngestMetrics implements ServerObserver {
  readonly registry = new Registry();
  private readonly connections: Counter<'transport'>;
  private readonly open: Gauge<'transport'>;
  private readonly rejects: Counter<'reason'>;
  private readonly ends: Counter<'role' | 'reason'>;
  private readonly publishes: Counter;
  private readonly takeovers: Counter;
  private readonly secretReloads: Counter<'secret' | 'result'>;
  private readonly receivedBytes: Record<string, number>;
  private readonly sentBytes: Record<string, number>;
  private readonly mediaBytes: Record<string, number>;
  private readonly videoFrames: Record<string, number>;
  private readonly keyframes: Record<string, number>;
  private readonly drops: Record<string, number>;

  constructor(stream: () => Stream) {
    const registers = [this.registry];
    // Event-loop delay sampled every 100 ms (the default 10 ms costs an idle ingest more than its own timers).
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
    const transports = ['rtmp', 'rtmps'] as const;
    this.connections = new Counter({
      name: 'livestream_ingest_connections_total',
      help: 'TCP connections accepted, by transport (including ones refused later).',
      labelNames: ['transport'],
      registers,
    });
    this.open = new Gauge({
      name: 'livestream_ingest_open_connections',
      help: 'TCP connections open now, by transport.',
      labelNames: ['transport'],
      registers,
    });
    for (const t of transports) {
      this.connections.labels(t).inc(0);
      this.open.labels(t).set(0);
    }
    this.receivedBytes = hotCounter(
      registers,
      'livestream_ingest_received_bytes_total',
      'Bytes read from RTMP(S) connections (handshake and protocol included).',
      'transport',
      transports,
    );
    this.sentBytes = hotCounter(
      registers,
      'livestream_ingest_sent_bytes_total',
      'Bytes written to RTMP(S) connections (handshake and protocol included).',
      'transport',
      transports,
    );
    this.mediaBytes = hotCounter(
      registers,
      'livestream_ingest_media_bytes_total',
      'Payload bytes of the audio and video messages relayed, by track.',
      'track',
      ['video', 'audio'],
    );
    this.videoFrames = hotCounter(
      registers,
      'livestream_ingest_video_frames_total',
      'Video frames relayed.',
      undefined,
      [''],
    );
    this.keyframes = hotCounter(
      registers,
      'livestream_ingest_video_keyframes_total',
      'Video keyframes relayed.',
      undefined,
      [''],
    );
    this.drops = hotCounter(
      registers,
      'livestream_ingest_subscriber_dropped_frames_total',
      'Media frames not sent to a subscriber whose queue was full (slow-subscriber policy "drop").',
      undefined,
      [''],
    );
    this.rejects = new Counter({
      name: 'livestream_ingest_connections_rejected_total',
      help: 'Connections turned away before they published or played, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.ends = new Counter({
      name: 'livestream_ingest_sessions_ended_total',
      help: 'Publish and play sessions that ended, by role and reason.',
      labelNames: ['role', 'reason'],
      registers,
    });
    this.publishes = new Counter({
      name: 'livestream_ingest_publishes_total',
      help: 'Publish sessions started.',
      registers,
    });
    this.takeovers = new Counter({
      name: 'livestream_ingest_takeovers_total',
      help: 'Publishes that replaced a silent publisher (takeover policy).',
      registers,
    });
    this.secretReloads = new Counter({
      name: 'livestream_ingest_secret_reloads_total',
      help: 'Re-reads of the mounted secrets that changed the value in use or failed, by secret and result.',
      labelNames: ['secret', 'result'],
      registers,
    });
    new Gauge({
      name: 'livestream_ingest_publishers',
      help: 'Publishers connected now (0 or 1).',
      registers,
      collect() {
        this.set(stream().publisher ? 1 : 0);
      },
    });
    new Gauge({
      name: 'livestream_ingest_subscribers',
      help: 'Subscribers (pullers such as the transcoder) connected now.',
      registers,
      collect() {
        this.set(stream().subscriberCount);
      },
    });
    new Gauge({
      name: 'livestream_ingest_subscriber_queued_bytes',
      help: 'Bytes waiting in this process to be written to subscribers (bounded per subscriber).',
      registers,
      collect() {
        this.set(
          stream()
            .subscriberList()
            .reduce((sum, s) => sum + s.queuedBytes, 0),
        );
      },
    });
    new Gauge({
      name: 'livestream_ingest_publish_start_time_seconds',
      help: 'Start of the current publish, seconds since the Unix epoch (0 when nobody publishes).',
      registers,
      collect() {
        const since = stream().since;
        this.set(since === undefined ? 0 : since / 1000);
      },
    });
    new Gauge({
      name: 'livestream_ingest_bitrate_bits_per_second',
      help: 'Media bitrate measured over the last 5 s of media timestamps, by track.',
      labelNames: ['track'],
      registers,
      collect() {
        const rates = stream().rates.snapshot();
        this.labels('video').set(rates.videoBitsPerSecond);
        this.labels('audio').set(rates.audioBitsPerSecond);
      },
    });
    new Gauge({
      name: 'livestream_ingest_video_frames_per_second',
      help: 'Video frame rate measured over the last 5 s of media timestamps.',
      registers,
      collect() {
        this.set(stream().rates.snapshot().framesPerSecond);
      },
    });
    new Gauge({
      name: 'livestream_ingest_video_keyframe_interval_seconds',
      help: 'Time between the last two video keyframes (0 until two were seen).',
      registers,
      collect() {
        this.set(stream().rates.snapshot().keyframeIntervalSeconds ?? 0);
      },
    });
  }

  // ServerObserver
  opened(transport: Transport): void {
    this.connections.labels(transport).inc();
    this.open.labels(transport).inc();
  }
  closed(transport: Transport): void {
    this.open.labels(transport).dec();
  }
  received(transport: Transport, bytes: number): void {
    this.receivedBytes[transport]! += bytes;
  }
  sent(transport: Transport, bytes: number): void {
    this.sentBytes[transport]! += bytes;
  }
  rejected(reason: RejectReason): void {
    this.rejects.labels(reason).inc();
  }
  ended(role: 'publisher' | 'subscriber', reason: EndReason): void {
    this.ends.labels(role, reason).inc();
  }
  dropped(frames: number): void {
    this.drops['']! += frames;
  }

  // Stream events
  published(tookOver: boolean): void {
    this.publishes.inc();
    if (tookOver) this.takeovers.inc();
  }
  media(track: Track, bytes: number, frame: boolean, keyframe: boolean): void {
    this.mediaBytes[track]! += bytes;
    if (track === 'video' && frame) {
      this.videoFrames['']! += 1;
      if (keyframe) this.keyframes['']! += 1;
    }
  }

  secretReloaded(secret: 'stream_key' | 'play_token' | 'tls_certificate', result: 'changed' | 'error'): void {
    this.secretReloads.labels(secret, result).inc();
  }
}
