// H.264 decoder configuration: profile, level and picture size from the AVCDecoderConfigurationRecord
// (ISO/IEC 14496-15) and its first sequence parameter set (ITU-T H.264 7.3.2.1.1).

export interface AvcConfig {
  profile: string;
  level: string;
  width: number;
  height: number;
}

/** Reads bits MSB first from an RBSP (emulation prevention bytes already removed). */
export class BitReader {
  private pos = 0;
  constructor(private readonly data: Buffer) {}

  bit(): number {
    const byte = this.pos >> 3;
    if (byte >= this.data.length) throw new RangeError('read past the end of the parameter set');
    const value = (this.data[byte]! >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return value;
  }

  bits(n: number): number {
    let value = 0;
    for (let i = 0; i < n; i++) value = value * 2 + this.bit();
    return value;
  }

  /** Unsigned Exp-Golomb (ue(v)). */
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (++zeros > 31) throw new RangeError('Exp-Golomb code longer than 32 bits');
    }
    return 2 ** zeros - 1 + this.bits(zeros);
  }

  /** Signed Exp-Golomb (se(v)). */
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}

/** Removes emulation prevention bytes (00 00 03 -> 00 00) from a NAL unit payload. */
export function nalToRbsp(nal: Buffer): Buffer {
  const out = Buffer.alloc(nal.length);
  let n = 0;
  let zeros = 0;
  for (const byte of nal) {
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    out[n++] = byte;
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, n);
}

const profileNames: Record<number, string> = {
  66: 'Baseline',
  77: 'Main',
  88: 'Extended',
  100: 'High',
  110: 'High 10',
  122: 'High 4:2:2',
  244: 'High 4:4:4 Predictive',
  44: 'CAVLC 4:4:4 Intra',
};
const chromaProfiles = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** Parses an SPS NAL unit (starting with its NAL header byte). */
export function parseSps(nal: Buffer): AvcConfig {
  if (nal.length < 4 || (nal[0]! & 0x1f) !== 7) throw new RangeError('not a sequence parameter set');
  const r = new BitReader(nalToRbsp(nal.subarray(1)));
  const profileIdc = r.bits(8);
  const constraints = r.bits(8);
  const levelIdc = r.bits(8);
  r.ue(); // seq_parameter_set_id
  let chromaFormatIdc = 1;
  let separateColourPlane = 0;
  if (chromaProfiles.has(profileIdc)) {
    chromaFormatIdc = r.ue();
    if (chromaFormatIdc === 3) separateColourPlane = r.bit();
    r.ue(); // bit_depth_luma_minus8
    r.ue(); // bit_depth_chroma_minus8
    r.bit(); // qpprime_y_zero_transform_bypass_flag
    if (r.bit()) {
      for (let i = 0; i < (chromaFormatIdc !== 3 ? 8 : 12); i++) {
        if (r.bit()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) {
    r.ue();
  } else if (pocType === 1) {
    r.bit();
    r.se();
    r.se();
    const cycle = r.ue();
    for (let i = 0; i < cycle; i++) r.se();
  }
  r.ue(); // max_num_ref_frames
  r.bit(); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ue() + 1;
  const heightMapUnits = r.ue() + 1;
  const frameMbsOnly = r.bit();
  if (!frameMbsOnly) r.bit(); // mb_adaptive_frame_field_flag
  r.bit(); // direct_8x8_inference_flag
  let crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.bit()) crop = { left: r.ue(), right: r.ue(), top: r.ue(), bottom: r.ue() };
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaFormatIdc === 3 ? 1 : 2;
  const subHeightC = chromaFormatIdc === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (2 - frameMbsOnly);
  const width = widthMbs * 16 - cropUnitX * (crop.left + crop.right);
  const height = (2 - frameMbsOnly) * heightMapUnits * 16 - cropUnitY * (crop.top + crop.bottom);
  let profile = profileNames[profileIdc] ?? `profile ${profileIdc}`;
  if (profileIdc === 66 && constraints & 0x40) profile = 'Constrained Baseline';
  const level = profileIdc === 66 && levelIdc === 11 && constraints & 0x10 ? '1b' : String(levelIdc / 10);
  return { profile, level, width, height };
}

/** Parses an AVCDecoderConfigurationRecord and the first SPS inside it. */
export function parseAvcDecoderConfig(record: Buffer): AvcConfig {
  if (record.length < 8 || record[0] !== 1) throw new RangeError('not an AVCDecoderConfigurationRecord');
  const spsCount = record[5]! & 0x1f;
  if (spsCount < 1) throw new RangeError('AVCDecoderConfigurationRecord carries no SPS');
  const spsLength = record.readUInt16BE(6);
  if (8 + spsLength > record.length) throw new RangeError('SPS runs past the end of the record');
  return parseSps(record.subarray(8, 8 + spsLength));
}
