// Which ffmpeg encoder a transcoder uses: a pure choice from the accelerator it was placed on and
// what this ffmpeg can do (its build, and trial encodes probe.ts ran). The first usable candidate
// for the accelerator wins; the software encoder is the last resort unless CPU fallback is off.
import type { Accelerator } from '../../operator/api/v1alpha1/types.js';
import type { Settings } from '../config.js';

export type VideoApi = 'software' | 'nvenc' | 'vaapi' | 'qsv' | 'amf';
export type DecodeApi = 'software' | 'cuda' | 'vaapi';

/** What this ffmpeg can do, as probe.ts found it. */
export interface Capabilities {
  /** "5.1.9-0+deb12u1" */
  version: string;
  encoders: ReadonlySet<string>;
  filters: ReadonlySet<string>;
  /** Encoders whose trial encode failed, with ffmpeg's reason; an encoder not listed counts as usable. */
  failedEncoders?: ReadonlyMap<string, string>;
}

export interface EncoderCandidate {
  /** The accelerator this encoder runs on (cpu for software, and for an Intel GPU on a cpu node). */
  accelerator: Accelerator;
  api: VideoApi;
  encoder: string;
  /** The scaling filter the ladder needs with this encoder. */
  scaler: 'scale' | 'scale_cuda' | 'scale_vaapi' | 'scale_qsv';
  decode: DecodeApi;
  /** VAAPI driver vendor (LIBVA_DRIVER_NAME radeonsi or iHD). */
  vendor: 'amd' | 'intel' | null;
}

export interface EncoderPlan extends EncoderCandidate {
  /** Why this is not the first candidate for the requested accelerator; null when it is. */
  fallbackReason: string | null;
}

export type EncoderChoice = { ok: true; plan: EncoderPlan } | { ok: false; reason: string };

/** The candidates for a config, best first; the software encoder is always last. */
export function candidates(s: Settings): EncoderCandidate[] {
  const codec = s.ladder.codec;
  const vaapi = (vendor: 'amd' | 'intel', accelerator: Accelerator): EncoderCandidate => ({
    accelerator,
    api: 'vaapi',
    encoder: `${codec}_vaapi`,
    scaler: 'scale_vaapi',
    decode: 'vaapi',
    vendor,
  });
  const hardware: EncoderCandidate[] = [];
  if (s.accelerator === 'nvidia')
    hardware.push({
      accelerator: 'nvidia',
      api: 'nvenc',
      encoder: `${codec}_nvenc`,
      scaler: 'scale_cuda',
      decode: 'cuda',
      vendor: null,
    });
  if (s.accelerator === 'amd') {
    if (s.amdApi === 'amf')
      hardware.push({
        accelerator: 'amd',
        api: 'amf',
        encoder: `${codec}_amf`,
        scaler: 'scale',
        decode: 'software',
        vendor: 'amd',
      });
    hardware.push(vaapi('amd', 'amd'));
  }
  if (s.accelerator === 'cpu' && s.device.intel === 'vaapi') hardware.push(vaapi('intel', 'cpu'));
  if (s.accelerator === 'cpu' && s.device.intel === 'qsv')
    hardware.push({
      accelerator: 'cpu',
      api: 'qsv',
      encoder: `${codec}_qsv`,
      scaler: 'scale_qsv',
      decode: 'vaapi',
      vendor: 'intel',
    });
  const software: EncoderCandidate = {
    accelerator: 'cpu',
    api: 'software',
    encoder: codec === 'h264' ? 'libx264' : 'libx265',
    scaler: 'scale',
    decode: 'software',
    vendor: null,
  };
  return [...hardware, software];
}

/** Why a candidate cannot be used with these capabilities, or undefined when it can. */
export function unusableBecause(c: EncoderCandidate, caps: Capabilities): string | undefined {
  if (!caps.encoders.has(c.encoder)) return `${c.encoder} is not in this ffmpeg build (${caps.version})`;
  if (!caps.filters.has(c.scaler)) return `filter ${c.scaler} is not in this ffmpeg build (${caps.version})`;
  const failed = caps.failedEncoders?.get(c.encoder);
  if (failed !== undefined) return `${c.encoder} did not open: ${failed}`;
  return undefined;
}

/** The best usable encoder, or why there is none the config allows. */
export function chooseEncoder(s: Settings, caps: Capabilities): EncoderChoice {
  const reasons: string[] = [];
  for (const c of candidates(s)) {
    const problem = unusableBecause(c, caps);
    if (problem !== undefined) {
      reasons.push(problem);
      continue;
    }
    const fellBackToCpu = c.api === 'software' && reasons.length > 0;
    if (fellBackToCpu && !s.allowCpuFallback)
      return { ok: false, reason: `${reasons.join('; ')}; CPU fallback is off (allowCpuFallback: false)` };
    return { ok: true, plan: { ...c, fallbackReason: reasons.length ? reasons.join('; ') : null } };
  }
  return { ok: false, reason: reasons.join('; ') };
}
