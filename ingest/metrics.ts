// Prometheus metrics of the ingest (standard names: base units, `_total` counters). Hot paths bump
// pre-labelled counter children; the live figures are read from the stream when scraped.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { RejectReason } from './rtmp/conn.js';
import type { ServerObserver } from './rtmp/server.js';
import type { EndReason, Stream, Transport } from './rtmp/stream.js';

const transports: Transport[] = ['rtmp', 'rtmps'];

export class IngestMetrics implements ServerObserver {
  readonly registry = new Registry();
  private readonly connections: Record<Transport, Counter.Internal>;
  private readonly open: Record<Transport, Gauge.Internal<'transport'>>;
  private readonly receivedBytes: Record<Transport, Counter.Internal>;
  private readonly sentBytes: Record<Transport, Counter.Internal>;
  private readonly rejects: Counter<'reason'>;
  private readonly ends: Counter<'role' | 'reason'>;
  private readonly drops: Counter;
  private readonly publishes: Counter;
  private readonly takeovers: Counter;
  private readonly mediaBytes: Record<'video' | 'audio', Counter.Internal>;
  private readonly videoFrames: Counter;
  private readonly keyframes: Counter;
  private readonly secretReloads: Counter<'secret' | 'result'>;

  constructor(stream: () => Stream) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const connections = new Counter({
      name: 'livestream_ingest_connections_total',
      help: 'TCP connections accepted, by transport (including ones refused later).',
      labelNames: ['transport'],
      registers,
    });
    const open = new Gauge({
      name: 'livestream_ingest_open_connections',
      help: 'TCP connections open now, by transport.',
      labelNames: ['transport'],
      registers,
    });
    const received = new Counter({
      name: 'livestream_ingest_received_bytes_total',
      help: 'Bytes read from RTMP(S) connections (handshake and protocol included).',
      labelNames: ['transport'],
      registers,
    });
    const sent = new Counter({
      name: 'livestream_ingest_sent_bytes_total',
      help: 'Bytes written to RTMP(S) connections (handshake and protocol included).',
      labelNames: ['transport'],
      registers,
    });
    this.connections = byTransport((t) => connections.labels(t));
    this.open = byTransport((t) => open.labels(t));
    this.receivedBytes = byTransport((t) => received.labels(t));
    this.sentBytes = byTransport((t) => sent.labels(t));
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
    this.drops = new Counter({
      name: 'livestream_ingest_subscriber_dropped_frames_total',
      help: 'Media frames not sent to a subscriber whose queue was full (slow-subscriber policy "drop").',
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
    const media = new Counter({
      name: 'livestream_ingest_media_bytes_total',
      help: 'Payload bytes of the audio and video messages relayed, by track.',
      labelNames: ['track'],
      registers,
    });
    this.mediaBytes = { video: media.labels('video'), audio: media.labels('audio') };
    this.videoFrames = new Counter({
      name: 'livestream_ingest_video_frames_total',
      help: 'Video frames relayed.',
      registers,
    });
    this.keyframes = new Counter({
      name: 'livestream_ingest_video_keyframes_total',
      help: 'Video keyframes relayed.',
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
    this.connections[transport].inc();
    this.open[transport].inc();
  }
  closed(transport: Transport): void {
    this.open[transport].dec();
  }
  received(transport: Transport, bytes: number): void {
    this.receivedBytes[transport].inc(bytes);
  }
  sent(transport: Transport, bytes: number): void {
    this.sentBytes[transport].inc(bytes);
  }
  rejected(reason: RejectReason): void {
    this.rejects.labels(reason).inc();
  }
  ended(role: 'publisher' | 'subscriber', reason: EndReason): void {
    this.ends.labels(role, reason).inc();
  }
  dropped(frames: number): void {
    this.drops.inc(frames);
  }

  // Stream events
  published(tookOver: boolean): void {
    this.publishes.inc();
    if (tookOver) this.takeovers.inc();
  }
  media(track: 'video' | 'audio', bytes: number, frame: boolean, keyframe: boolean): void {
    this.mediaBytes[track].inc(bytes);
    if (track === 'video' && frame) {
      this.videoFrames.inc();
      if (keyframe) this.keyframes.inc();
    }
  }

  secretReloaded(secret: 'stream_key' | 'play_token' | 'tls_certificate', result: 'changed' | 'error'): void {
    this.secretReloads.labels(secret, result).inc();
  }
}

function byTransport<T>(make: (transport: Transport) => T): Record<Transport, T> {
  return Object.fromEntries(transports.map((t) => [t, make(t)])) as Record<Transport, T>;
}
