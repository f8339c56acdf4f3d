// FLV/RTMP media tag headers (legacy and Enhanced RTMP): which codec, whether a frame is a keyframe
// or a decoder configuration. Pure functions over the message payload, no copies.

export type VideoCodec = 'h264' | 'hevc' | 'av1' | 'vp9' | 'vp6' | 'h263' | 'unknown';
export type AudioCodec = 'aac' | 'mp3' | 'opus' | 'flac' | 'ac3' | 'eac3' | 'pcm' | 'speex' | 'unknown';

export interface VideoTag {
  codec: VideoCodec;
  keyframe: boolean;
  /** A decoder configuration record (AVC/HEVC sequence header, Enhanced RTMP SequenceStart). */
  sequenceHeader: boolean;
  /** A coded frame (not a header, end-of-sequence or metadata message). */
  frame: boolean;
  /** The configuration record when `sequenceHeader`. */
  config?: Buffer;
}

export interface AudioTag {
  codec: AudioCodec;
  sequenceHeader: boolean;
  frame: boolean;
  config?: Buffer;
}

const FRAME_KEY = 1;
const CODEC_AVC = 7;
const CODEC_HEVC_LEGACY = 12; // a widespread pre-Enhanced-RTMP extension (SRS, Chinese CDNs)
const legacyVideoCodecs: Record<number, VideoCodec> = {
  2: 'h263',
  4: 'vp6',
  5: 'vp6',
  7: 'h264',
  12: 'hevc',
};
const fourccVideo: Record<string, VideoCodec> = { avc1: 'h264', hvc1: 'hevc', av01: 'av1', vp09: 'vp9' };
const fourccAudio: Record<string, AudioCodec> = {
  mp4a: 'aac',
  '.mp3': 'mp3',
  Opus: 'opus',
  fLaC: 'flac',
  'ac-3': 'ac3',
  'ec-3': 'eac3',
};
const legacyAudioCodecs: Record<number, AudioCodec> = {
  0: 'pcm',
  2: 'mp3',
  3: 'pcm',
  10: 'aac',
  11: 'speex',
  14: 'mp3',
};

// Enhanced RTMP packet types.
const EX_SEQUENCE_START = 0;
const EX_CODED_FRAMES = 1;
const EX_CODED_FRAMES_X = 3;

export function parseVideoTag(payload: Buffer): VideoTag | undefined {
  if (payload.length < 1) return undefined;
  const b0 = payload[0]!;
  const frameType = (b0 >> 4) & 0x07;
  const keyframe = frameType === FRAME_KEY;
  if (b0 & 0x80) {
    // Enhanced RTMP: [isExHeader|frameType][packetType][fourCC]
    if (payload.length < 5) return undefined;
    const packetType = b0 & 0x0f;
    const codec = fourccVideo[payload.toString('latin1', 1, 5)] ?? 'unknown';
    const sequenceHeader = packetType === EX_SEQUENCE_START;
    const frame = packetType === EX_CODED_FRAMES || packetType === EX_CODED_FRAMES_X;
    return {
      codec,
      keyframe: frame && keyframe,
      sequenceHeader,
      frame,
      config: sequenceHeader ? payload.subarray(5) : undefined,
    };
  }
  const codecId = b0 & 0x0f;
  const codec = legacyVideoCodecs[codecId] ?? 'unknown';
  if (codecId === CODEC_AVC || codecId === CODEC_HEVC_LEGACY) {
    if (payload.length < 5) return undefined;
    const packetType = payload[1]!; // 0 sequence header, 1 NALUs, 2 end of sequence
    const sequenceHeader = packetType === 0;
    const frame = packetType === 1;
    return {
      codec,
      keyframe: frame && keyframe,
      sequenceHeader,
      frame,
      config: sequenceHeader ? payload.subarray(5) : undefined,
    };
  }
  const frame = frameType !== 5; // 5: video info/command frame
  return { codec, keyframe: frame && keyframe, sequenceHeader: false, frame };
}

export function parseAudioTag(payload: Buffer): AudioTag | undefined {
  if (payload.length < 1) return undefined;
  const b0 = payload[0]!;
  const soundFormat = b0 >> 4;
  if (soundFormat === 9) {
    // Enhanced RTMP audio: [9|packetType][fourCC]
    if (payload.length < 5) return undefined;
    const packetType = b0 & 0x0f;
    const codec = fourccAudio[payload.toString('latin1', 1, 5)] ?? 'unknown';
    const sequenceHeader = packetType === EX_SEQUENCE_START;
    const frame = packetType === EX_CODED_FRAMES;
    return { codec, sequenceHeader, frame, config: sequenceHeader ? payload.subarray(5) : undefined };
  }
  const codec = legacyAudioCodecs[soundFormat] ?? 'unknown';
  if (soundFormat === 10) {
    if (payload.length < 2) return undefined;
    const sequenceHeader = payload[1] === 0;
    return {
      codec,
      sequenceHeader,
      frame: !sequenceHeader,
      config: sequenceHeader ? payload.subarray(2) : undefined,
    };
  }
  return { codec, sequenceHeader: false, frame: true };
}
