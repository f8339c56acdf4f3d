// The one stream this ingest serves (/live/stream): who publishes, who subscribes, what a new
// subscriber is sent first (metadata, decoder configuration, the current GOP), and the measured
// figures. It owns its state; connections reach it through the small interfaces below.
import { STREAM_PATH } from '../auth/keys.js';
import { parseAudioTag, parseVideoTag } from '../stats/flv.js';
import { MediaInfo, type StreamMetadata } from '../stats/media-info.js';
import { MediaRates } from '../stats/rates.js';
import { NmsRtmpEngine, nmsAmf } from './nms.js';
import type { MediaMessage } from './protocol.js';
import type { MessageKind } from './write-policy.js';

export type Transport = 'rtmp' | 'rtmps';
export type TakeoverPolicy = 'never' | 'stale' | 'always';

/** Why a publish or a subscription ended (also the `reason` label of the sessions metric). */
export type EndReason =
  | 'closed_by_peer'
  | 'idle_timeout'
  | 'taken_over'
  | 'publisher_gone'
  | 'slow_subscriber'
  | 'stalled'
  | 'key_rotated'
  | 'token_rotated'
  | 'protocol_error'
  | 'shutdown';

export interface Publisher {
  readonly id: string;
  readonly remoteAddress: string;
  readonly transport: Transport;
  /** When bytes last arrived from this publisher (ms, same clock as StreamOptions.now). */
  readonly lastReadAt: number;
  readonly receivedBytes: number;
  end(reason: EndReason): void;
}

export interface Subscriber {
  readonly id: string;
  readonly remoteAddress: string;
  readonly transport: Transport;
  readonly since: number;
  readonly queuedBytes: number;
  readonly droppedFrames: number;
  readonly sentBytes: number;
  deliver(message: Buffer, kind: MessageKind): void;
  end(reason: EndReason): void;
}

export interface StreamOptions {
  takeover: TakeoverPolicy;
  /** Silence after which the current publisher counts as dead (policy "stale"). */
  takeoverAfterMs: number;
  maxSubscribers: number;
  /** The current GOP is kept for new subscribers up to this size, then dropped until the next keyframe. */
  gopCacheBytes: number;
  now: () => number;
}

export interface StreamEvents {
  published(publisher: Publisher, tookOver: boolean): void;
  unpublished(publisher: Publisher, reason: EndReason): void;
  media(track: 'video' | 'audio', bytes: number, frame: boolean, keyframe: boolean): void;
}

/** Whether a new publisher (holding the key) may replace the current one. */
export function mayTakeOver(policy: TakeoverPolicy, silentForMs: number, takeoverAfterMs: number): boolean {
  if (policy === 'always') return true;
  if (policy === 'stale') return silentForMs >= takeoverAfterMs;
  return false;
}

export interface LastPublish {
  endedAt: number;
  startedAt: number;
  reason: EndReason;
}

const SET_DATA_FRAME = Buffer.from([0x02, 0x00, 0x0d, ...Buffer.from('@setDataFrame', 'latin1')]);

export class Stream {
  readonly path = STREAM_PATH;
  publisher: Publisher | undefined;
  since: number | undefined;
  lastMediaAt: number | undefined;
  lastPublish: LastPublish | undefined;
  info = new MediaInfo();
  rates = new MediaRates();
  private readonly subscribers = new Map<string, Subscriber>();
  private metadata: Buffer | undefined;
  private audioHeader: Buffer | undefined;
  private videoHeader: Buffer | undefined;
  private gop: Buffer[] = [];
  private gopBytes = 0;
  private gopOpen = false;

  constructor(
    private readonly options: StreamOptions,
    private readonly events: StreamEvents,
  ) {}

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  subscriberList(): Subscriber[] {
    return [...this.subscribers.values()];
  }

  /** Claims the publisher slot; returns false when another publisher keeps it. */
  claim(candidate: Publisher): boolean {
    const current = this.publisher;
    let tookOver = false;
    if (current) {
      const silentFor = this.options.now() - current.lastReadAt;
      if (!mayTakeOver(this.options.takeover, silentFor, this.options.takeoverAfterMs)) return false;
      current.end('taken_over'); // calls release(), which also ends the subscribers
      tookOver = true;
    }
    this.publisher = candidate;
    this.since = this.options.now();
    this.events.published(candidate, tookOver);
    return true;
  }

  /** The publisher left: its subscribers are ended (they reconnect and start clean on the next publish). */
  release(publisher: Publisher, reason: EndReason): void {
    if (publisher !== this.publisher) return;
    const now = this.options.now();
    this.lastPublish = { startedAt: this.since ?? now, endedAt: now, reason };
    this.publisher = undefined;
    this.since = undefined;
    this.lastMediaAt = undefined;
    this.metadata = this.audioHeader = this.videoHeader = undefined;
    this.dropGop();
    this.info = new MediaInfo();
    this.rates = new MediaRates();
    const subscribers = [...this.subscribers.values()];
    this.subscribers.clear();
    for (const subscriber of subscribers) subscriber.end('publisher_gone');
    this.events.unpublished(publisher, reason);
  }

  /** Why a new subscriber cannot join now, or undefined when it can. */
  joinRefusal(): 'no_publisher' | 'subscriber_limit' | undefined {
    if (!this.publisher) return 'no_publisher';
    if (this.subscribers.size >= this.options.maxSubscribers) return 'subscriber_limit';
    return undefined;
  }

  /** Adds a subscriber (check joinRefusal() first) and sends it what a decoder needs to start. */
  join(subscriber: Subscriber): void {
    if (this.joinRefusal()) throw new Error('join() called while joinRefusal() refuses');
    this.subscribers.set(subscriber.id, subscriber);
    if (this.metadata) subscriber.deliver(this.metadata, 'config');
    if (this.audioHeader) subscriber.deliver(this.audioHeader, 'config');
    if (this.videoHeader) subscriber.deliver(this.videoHeader, 'config');
    this.gop.forEach((message, i) => subscriber.deliver(message, i === 0 ? 'keyframe' : 'frame'));
  }

  leave(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber.id);
  }

  /** Media from a connection; anything not from the current publisher is ignored. */
  media(from: Publisher, message: MediaMessage): void {
    if (from !== this.publisher) return;
    this.lastMediaAt = this.options.now();
    let kind: MessageKind;
    let payload = message.payload;
    let isMetadata = false;
    if (message.type === 18) {
      ({ payload, isMetadata } = this.onData(payload));
      kind = 'config';
    } else if (message.type === 9) {
      const tag = parseVideoTag(payload);
      if (!tag) return;
      this.info.onVideo(tag);
      this.rates.add({
        track: 'video',
        dtsMs: message.timestamp,
        bytes: payload.length,
        frame: tag.frame,
        keyframe: tag.keyframe,
      });
      this.events.media('video', payload.length, tag.frame, tag.keyframe);
      kind = tag.sequenceHeader ? 'config' : tag.keyframe ? 'keyframe' : 'frame';
    } else {
      const tag = parseAudioTag(payload);
      if (!tag) return;
      this.info.onAudio(tag);
      this.rates.add({
        track: 'audio',
        dtsMs: message.timestamp,
        bytes: payload.length,
        frame: tag.frame,
        keyframe: false,
      });
      this.events.media('audio', payload.length, tag.frame, false);
      kind = tag.sequenceHeader ? 'config' : 'frame';
    }
    const encoded = NmsRtmpEngine.createMessage({
      codec_type: message.type,
      size: payload.length,
      dts: message.timestamp,
      data: payload,
    });
    if (message.type !== 18 || isMetadata) this.remember(message.type, kind, encoded);
    for (const subscriber of this.subscribers.values()) subscriber.deliver(encoded, kind);
  }

  /** Ends every session (shutdown). */
  endAll(reason: EndReason): void {
    for (const subscriber of [...this.subscribers.values()]) subscriber.end(reason);
    this.publisher?.end(reason);
  }

  private remember(type: number, kind: MessageKind, encoded: Buffer): void {
    if (kind === 'config') {
      if (type === 18) this.metadata = encoded;
      else if (type === 8) this.audioHeader = encoded;
      else this.videoHeader = encoded;
      return;
    }
    if (kind === 'keyframe') {
      this.dropGop();
      this.gopOpen = true;
    }
    if (!this.gopOpen) return;
    this.gop.push(encoded);
    this.gopBytes += encoded.length;
    if (this.gopBytes > this.options.gopCacheBytes) this.dropGop();
  }

  private dropGop(): void {
    this.gop = [];
    this.gopBytes = 0;
    this.gopOpen = false;
  }

  /** Metadata: read it, and relay "@setDataFrame onMetaData" as plain "onMetaData" (what players expect). */
  private onData(payload: Buffer): { payload: Buffer; isMetadata: boolean } {
    const stripped =
      payload.length > SET_DATA_FRAME.length &&
      payload.subarray(0, SET_DATA_FRAME.length).equals(SET_DATA_FRAME)
        ? payload.subarray(SET_DATA_FRAME.length)
        : payload;
    try {
      const decoded = nmsAmf.decodeAmf0Data(stripped);
      if (decoded.cmd === 'onMetaData' && decoded.dataObj && typeof decoded.dataObj === 'object') {
        this.info.onMetadata(decoded.dataObj as StreamMetadata);
        return { payload: stripped, isMetadata: true };
      }
    } catch {
      // Unreadable data messages are still relayed live, but not kept for new subscribers.
    }
    return { payload: stripped, isMetadata: false };
  }
}
