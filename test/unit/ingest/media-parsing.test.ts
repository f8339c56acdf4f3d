import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAudioSpecificConfig } from '../../../ingest/stats/aac.js';
import { BitReader, nalToRbsp, parseAvcDecoderConfig, parseSps } from '../../../ingest/stats/avc.js';
import { parseAudioTag, parseVideoTag } from '../../../ingest/stats/flv.js';

// Sequence parameter sets written by Debian's ffmpeg 5.1 / libx264 for the sizes named.
const sps = {
  '1080p High (cropped from 1088)': [
    '67640028acd940780227e5c044000003000400000300f03c60c658',
    'High',
    '4',
    1920,
    1080,
  ],
  '240p Constrained Baseline': [
    '6742c00dd90141fb0110000003001000000303c0f142a480',
    'Constrained Baseline',
    '1.3',
    320,
    240,
  ],
  '720p Main': ['674d401feca02802dd8088000003000800000301e078c18cb0', 'Main', '3.1', 1280, 720],
  '360p High 4:4:4 (chroma format 3)': [
    '67f4001e919b281405ff138088000003000800000301e078b16cb0',
    'High 4:4:4 Predictive',
    '3',
    640,
    360,
  ],
  '480i High 4:2:2 (field coding)': [
    '677a0016bcd940b47b60220000030002000003003c3e28532c',
    'High 4:2:2',
    '2.2',
    720,
    480,
  ],
} as const;

describe('H.264 sequence parameter sets', () => {
  for (const [name, [hex, profile, level, width, height]] of Object.entries(sps)) {
    test(name, () => assert.deepEqual(parseSps(Buffer.from(hex, 'hex')), { profile, level, width, height }));
  }

  test('inside an AVCDecoderConfigurationRecord', () => {
    const nal = Buffer.from(sps['720p Main'][0], 'hex');
    const record = Buffer.concat([
      Buffer.from([1, 0x4d, 0x40, 0x1f, 0xff, 0xe1]),
      u16(nal.length),
      nal,
      Buffer.from([1, 0, 4, 0x68, 0xee, 0x3c, 0x80]),
    ]);
    assert.deepEqual(parseAvcDecoderConfig(record), {
      profile: 'Main',
      level: '3.1',
      width: 1280,
      height: 720,
    });
  });

  test('a truncated SPS is an error, not a wrong size', () => {
    assert.throws(() => parseSps(Buffer.from('6764001f', 'hex')), RangeError);
  });

  test('a record without SPS is an error', () => {
    assert.throws(
      () => parseAvcDecoderConfig(Buffer.from([1, 0x64, 0, 0x1f, 0xff, 0xe0, 0, 0])),
      /carries no SPS/,
    );
  });

  test('emulation prevention bytes are removed', () => {
    assert.deepEqual(nalToRbsp(Buffer.from('0000030100000302', 'hex')), Buffer.from('000001000002', 'hex'));
  });

  test('Exp-Golomb codes', () => {
    // 1 -> 0, 010 -> 1, 011 -> 2, 00100 -> 3; signed: 010 -> +1, 011 -> -1
    const r = new BitReader(Buffer.from([0b10100110, 0b01000000]));
    assert.deepEqual([r.ue(), r.ue(), r.ue(), r.ue()], [0, 1, 2, 3]);
    const s = new BitReader(Buffer.from([0b01001100]));
    assert.deepEqual([s.se(), s.se()], [1, -1]);
  });
});

describe('AAC AudioSpecificConfig', () => {
  test('AAC-LC 48 kHz stereo', () => {
    assert.deepEqual(parseAudioSpecificConfig(Buffer.from([0x11, 0x90])), {
      profile: 'LC',
      sampleRateHz: 48000,
      channels: 2,
    });
  });
  test('AAC-LC 44.1 kHz mono', () => {
    assert.deepEqual(parseAudioSpecificConfig(Buffer.from([0x12, 0x08])), {
      profile: 'LC',
      sampleRateHz: 44100,
      channels: 1,
    });
  });
  test('HE-AAC with an explicit 24-bit sample rate', () => {
    // object type 5, index 15, rate 22050 (0x005622), channels 2
    const bits = '00101' + '1111' + (22050).toString(2).padStart(24, '0') + '0010' + '000';
    const bytes = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
    assert.deepEqual(parseAudioSpecificConfig(bytes), {
      profile: 'HE-AAC',
      sampleRateHz: 22050,
      channels: 2,
    });
  });
  test('a reserved sample rate index is an error', () => {
    assert.throws(() => parseAudioSpecificConfig(Buffer.from([0x16, 0x90])), /index 13 is reserved/);
  });
});

describe('FLV video tags', () => {
  test('AVC sequence header', () => {
    const tag = parseVideoTag(Buffer.from([0x17, 0, 0, 0, 0, 1, 2, 3]));
    assert.deepEqual(
      { ...tag, config: [...tag!.config!] },
      {
        codec: 'h264',
        keyframe: false,
        sequenceHeader: true,
        frame: false,
        config: [1, 2, 3],
      },
    );
  });
  test('AVC keyframe and inter frame', () => {
    assert.deepEqual(parseVideoTag(Buffer.from([0x17, 1, 0, 0, 0, 9])), {
      codec: 'h264',
      keyframe: true,
      sequenceHeader: false,
      frame: true,
      config: undefined,
    });
    assert.deepEqual(parseVideoTag(Buffer.from([0x27, 1, 0, 0, 0, 9])), {
      codec: 'h264',
      keyframe: false,
      sequenceHeader: false,
      frame: true,
      config: undefined,
    });
  });
  test('AVC end of sequence is not a frame', () => {
    assert.equal(parseVideoTag(Buffer.from([0x17, 2, 0, 0, 0]))!.frame, false);
  });
  test('Enhanced RTMP HEVC: SequenceStart and CodedFramesX keyframe', () => {
    const start = parseVideoTag(Buffer.concat([Buffer.from([0x90]), Buffer.from('hvc1'), Buffer.from([1])]))!;
    assert.equal(start.codec, 'hevc');
    assert.equal(start.sequenceHeader, true);
    const key = parseVideoTag(Buffer.concat([Buffer.from([0x93]), Buffer.from('hvc1'), Buffer.from([0])]))!;
    assert.deepEqual([key.keyframe, key.frame], [true, true]);
  });
  test('Enhanced RTMP AV1 inter frame', () => {
    const tag = parseVideoTag(Buffer.concat([Buffer.from([0xa1]), Buffer.from('av01'), Buffer.from([0])]))!;
    assert.deepEqual([tag.codec, tag.keyframe, tag.frame], ['av1', false, true]);
  });
  test('too short to read', () => {
    assert.equal(parseVideoTag(Buffer.from([0x17, 1])), undefined);
    assert.equal(parseVideoTag(Buffer.alloc(0)), undefined);
  });
});

describe('FLV audio tags', () => {
  test('AAC sequence header and raw frame', () => {
    const header = parseAudioTag(Buffer.from([0xaf, 0, 0x11, 0x90]))!;
    assert.deepEqual(
      [header.codec, header.sequenceHeader, header.frame, [...header.config!]],
      ['aac', true, false, [0x11, 0x90]],
    );
    assert.deepEqual(parseAudioTag(Buffer.from([0xaf, 1, 0x21]))!.frame, true);
  });
  test('MP3', () => assert.equal(parseAudioTag(Buffer.from([0x2f, 0xff]))!.codec, 'mp3'));
  test('Enhanced RTMP Opus', () => {
    const tag = parseAudioTag(Buffer.concat([Buffer.from([0x91]), Buffer.from('Opus'), Buffer.from([0])]))!;
    assert.deepEqual([tag.codec, tag.frame], ['opus', true]);
  });
});

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
