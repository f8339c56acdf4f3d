// What a publisher sends, read from the relayed media: codecs and their parameters from the decoder
// configuration records (preferred), with the publisher's onMetaData as the fallback.
import { parseAudioSpecificConfig } from './aac.js';
import { parseAvcDecoderConfig } from './avc.js';
import type { AudioTag, VideoTag } from './flv.js';

export interface VideoInfo {
  codec: string;
  profile: string | null;
  level: string | null;
  width: number | null;
  height: number | null;
}

export interface AudioInfo {
  codec: string;
  profile: string | null;
  sampleRateHz: number | null;
  channels: number | null;
}

/** The onMetaData fields this ingest reads (everything else is ignored). */
export interface StreamMetadata {
  width?: unknown;
  height?: unknown;
  audiosamplerate?: unknown;
  stereo?: unknown;
  encoder?: unknown;
}

function positive(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : null;
}

export class MediaInfo {
  video: VideoInfo | null = null;
  audio: AudioInfo | null = null;
  encoder: string | null = null;
  private metadata: StreamMetadata = {};

  onVideo(tag: VideoTag): void {
    if (tag.sequenceHeader && tag.codec === 'h264' && tag.config) {
      try {
        const avc = parseAvcDecoderConfig(tag.config);
        this.video = { codec: 'h264', ...avc };
        return;
      } catch {
        // An unreadable SPS still leaves the codec known; the metadata may carry the size.
      }
    }
    if (!this.video || this.video.codec !== tag.codec) {
      this.video = {
        codec: tag.codec,
        profile: null,
        level: null,
        width: positive(this.metadata.width),
        height: positive(this.metadata.height),
      };
    }
  }

  onAudio(tag: AudioTag): void {
    if (tag.sequenceHeader && tag.codec === 'aac' && tag.config) {
      try {
        this.audio = { codec: 'aac', ...parseAudioSpecificConfig(tag.config) };
        return;
      } catch {
        // fall through to the codec alone
      }
    }
    if (!this.audio || this.audio.codec !== tag.codec) {
      this.audio = {
        codec: tag.codec,
        profile: null,
        sampleRateHz: positive(this.metadata.audiosamplerate),
        channels: typeof this.metadata.stereo === 'boolean' ? (this.metadata.stereo ? 2 : 1) : null,
      };
    }
  }

  onMetadata(metadata: StreamMetadata): void {
    this.metadata = metadata;
    if (typeof metadata.encoder === 'string') this.encoder = metadata.encoder.slice(0, 200);
    if (this.video && this.video.width === null) {
      this.video.width = positive(metadata.width);
      this.video.height = positive(metadata.height);
    }
  }
}
