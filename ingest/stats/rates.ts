// Frame rate, bitrate and keyframe interval measured from the media actually relayed, on the
// media's own timeline (timestamps), so a burst after a network stall does not read as a spike.

export type Track = 'video' | 'audio';

export interface Sample {
  track: Track;
  /** Decode timestamp in milliseconds. */
  dtsMs: number;
  /** Payload bytes of the FLV/RTMP media message. */
  bytes: number;
  /** A coded frame (not a sequence header). */
  frame: boolean;
  keyframe: boolean;
}

/** A sliding window of (timestamp, bytes) pairs for one track. */
class Window {
  private dts: number[] = [];
  private bytes: number[] = [];
  private head = 0;
  private sum = 0; // bytes of every entry after the first one in the window

  constructor(private readonly spanMs: number) {}

  add(dtsMs: number, bytes: number): void {
    const last = this.dts[this.dts.length - 1];
    // A timestamp that jumps back (encoder restart inside one publish) starts the window over.
    if (last !== undefined && dtsMs < last - 1000) this.clear();
    if (this.dts.length > this.head) this.sum += bytes;
    this.dts.push(dtsMs);
    this.bytes.push(bytes);
    while (this.dts.length - this.head > 2 && dtsMs - this.dts[this.head + 1]! >= this.spanMs) {
      this.head++;
      this.sum -= this.bytes[this.head]!;
    }
    if (this.head > 1024) {
      this.dts = this.dts.slice(this.head);
      this.bytes = this.bytes.slice(this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.dts = [];
    this.bytes = [];
    this.head = 0;
    this.sum = 0;
  }

  /** Seconds between the first and the last entry. */
  private seconds(): number {
    const n = this.dts.length - this.head;
    if (n < 2) return 0;
    return (this.dts[this.dts.length - 1]! - this.dts[this.head]!) / 1000;
  }

  perSecond(): number {
    const s = this.seconds();
    return s > 0 ? (this.dts.length - this.head - 1) / s : 0;
  }

  bitsPerSecond(): number {
    const s = this.seconds();
    return s > 0 ? (this.sum * 8) / s : 0;
  }
}

export interface RateSnapshot {
  framesPerSecond: number;
  keyframeIntervalSeconds: number | null;
  videoBitsPerSecond: number;
  audioBitsPerSecond: number;
}

export class MediaRates {
  private readonly videoFrames: Window;
  private readonly videoBytes: Window;
  private readonly audioBytes: Window;
  private lastKeyframeDts: number | undefined;
  private keyframeInterval: number | null = null;

  constructor(spanMs = 5000) {
    this.videoFrames = new Window(spanMs);
    this.videoBytes = new Window(spanMs);
    this.audioBytes = new Window(spanMs);
  }

  add(sample: Sample): void {
    if (sample.track === 'audio') {
      this.audioBytes.add(sample.dtsMs, sample.bytes);
      return;
    }
    this.videoBytes.add(sample.dtsMs, sample.bytes);
    if (!sample.frame) return;
    this.videoFrames.add(sample.dtsMs, sample.bytes);
    if (sample.keyframe) {
      if (this.lastKeyframeDts !== undefined && sample.dtsMs > this.lastKeyframeDts) {
        this.keyframeInterval = (sample.dtsMs - this.lastKeyframeDts) / 1000;
      }
      this.lastKeyframeDts = sample.dtsMs;
    }
  }

  snapshot(): RateSnapshot {
    return {
      framesPerSecond: this.videoFrames.perSecond(),
      keyframeIntervalSeconds: this.keyframeInterval,
      videoBitsPerSecond: this.videoBytes.bitsPerSecond(),
      audioBitsPerSecond: this.audioBytes.bitsPerSecond(),
    };
  }
}
