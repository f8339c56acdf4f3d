// What one transcoder pod requests: a model in pixels per second, calibrated with real ffmpeg runs
// on this project's 2-core build machine (docs/placement.md has the runs and the numbers).
//
// cpu cores = headroom x (decode + scale + encode x preset x codec + audio) + base
//   decode: the largest rendition's pixel rate (the source is assumed no bigger than the ladder's top)
//   scale and encode: each rendition's pixel rate (width x height x its frame-rate cap)
// On a GPU, decode, scaling and encode run on the GPU (NVDEC/NVENC, VAAPI): the pod requests a
// modest base plus a little per rendition for audio and muxing, and bursts above it (no CPU limit).
import type { V1ResourceRequirements } from '@kubernetes/client-node';
import type {
  Accelerator,
  ResourceEstimate,
  StreamResources,
  TranscodeProfile,
  X26xPreset,
} from '../api/v1alpha1/index.js';
import { formatCpu, formatMemory } from './quantity.js';

/** Cores per megapixel per second, measured (docs/placement.md, "Sizing"). */
export const CORES_PER_MPX = {
  /** Decoding H.264 (1080p30 source: 0.148 cores). */
  decode: 0.00238,
  /** Scaling 1080p to the rendition size (to 720p30: 0.151 cores). */
  scale: 0.0055,
  /** libx264 veryfast zerolatency (720p30: 0.376 cores). */
  encodeX264Veryfast: 0.0136,
};
/** x264/x265 preset cost relative to veryfast (ultrafast and medium measured, the rest interpolated). */
export const PRESET_FACTOR: Record<X26xPreset, number> = {
  ultrafast: 0.35,
  superfast: 0.6,
  veryfast: 1,
  faster: 1.5,
  fast: 2.2,
  medium: 3,
  slow: 5,
  slower: 10,
  veryslow: 20,
};
/** libx265 against libx264 at the same preset (720p30 veryfast: 4.2x on easy, 6.2x on hard content). */
export const X265_FACTOR = 5;
/** AAC encoding per rendition, cores. */
export const AUDIO_CORES = 0.01;
/** Requests cover the hard-content measurement with this margin: a live encoder must never fall behind. */
export const CPU_HEADROOM = 1.5;
/** The supervisor (Node.js) and the HTTP origin. */
export const BASE_CORES = 0.1;

/** x264 rc-lookahead frames per preset (0 with tune zerolatency). */
const LOOKAHEAD_FRAMES: Record<X26xPreset, number> = {
  ultrafast: 0,
  superfast: 0,
  veryfast: 10,
  faster: 20,
  fast: 30,
  medium: 40,
  slow: 50,
  slower: 60,
  veryslow: 60,
};
const MiB = 2 ** 20;
/** Node.js supervisor and origin (~64 MiB) plus ffmpeg with its decoder (~96 MiB at 1080p). */
export const BASE_MEMORY = 160 * MiB;
/** Encoder memory per output pixel without lookahead (720p veryfast zerolatency: ~50 MB). */
export const ENCODER_BYTES_PER_PIXEL = 54;
/** Extra per pixel per lookahead frame (720p veryfast with lookahead: +84 MB). */
export const LOOKAHEAD_BYTES_PER_PIXEL = 9;
/** GPU pods: cores for the supervisor, demuxing and the origin, and per rendition (AAC, muxing). */
export const GPU_BASE_CORES = 0.25;
export const GPU_CORES_PER_RENDITION = 0.1;
/** Frames a GPU encoder keeps in system memory before upload, per output pixel. */
export const GPU_BYTES_PER_PIXEL = 24;
export const MEMORY_HEADROOM = 1.25;
/** The memory limit is this multiple of the request (no CPU limit: throttling makes a live stream stall). */
export const MEMORY_LIMIT_FACTOR = 2;

export interface PodSize {
  /** Cores. */
  cpu: number;
  /** Bytes. */
  memory: number;
}

function fps(profile: TranscodeProfile, maxFps: number | undefined): number {
  return Math.min(maxFps ?? profile.spec.limits.maxFps, profile.spec.limits.maxFps);
}

/** Megapixels per second of each rendition, and of the source (its decode). */
function pixelRates(profile: TranscodeProfile) {
  const renditions = profile.spec.renditions.map((r) => ({
    pixels: r.width * r.height,
    mpxPerSecond: (r.width * r.height * fps(profile, r.maxFps)) / 1e6,
  }));
  const source = Math.max(
    0,
    ...profile.spec.renditions.map((r) => (r.width * r.height * fps(profile, r.maxFps)) / 1e6),
  );
  return { renditions, source };
}

const roundCpu = (cores: number) => Math.max(0.1, Math.ceil(cores * 20) / 20);
const roundMemory = (bytes: number) => Math.ceil(bytes / (64 * MiB)) * 64 * MiB;

/** Requests of the transcoder pod on this accelerator. */
export function podSize(profile: TranscodeProfile, accelerator: Accelerator): PodSize {
  const { renditions, source } = pixelRates(profile);
  if (accelerator !== 'cpu') {
    const memory = BASE_MEMORY + renditions.reduce((sum, r) => sum + r.pixels * GPU_BYTES_PER_PIXEL, 0);
    return {
      cpu: roundCpu(GPU_BASE_CORES + renditions.length * GPU_CORES_PER_RENDITION),
      memory: roundMemory(memory * MEMORY_HEADROOM),
    };
  }
  const decode = source * CORES_PER_MPX.decode;
  const scale = renditions.reduce((sum, r) => sum + r.mpxPerSecond * CORES_PER_MPX.scale, 0);
  const audio = renditions.length * AUDIO_CORES;
  const { preset, tune } = profile.spec.encoders.cpu;
  const codecFactor = profile.spec.video.codec === 'hevc' ? X265_FACTOR : 1;
  const perMpx = CORES_PER_MPX.encodeX264Veryfast * PRESET_FACTOR[preset] * codecFactor;
  const encode = renditions.reduce((sum, r) => sum + r.mpxPerSecond * perMpx, 0);
  const lookahead = tune === 'zerolatency' ? 0 : LOOKAHEAD_FRAMES[preset];
  const perPixel = (ENCODER_BYTES_PER_PIXEL + lookahead * LOOKAHEAD_BYTES_PER_PIXEL) * codecFactor ** 0.5;
  const memory = BASE_MEMORY + renditions.reduce((sum, r) => sum + r.pixels * perPixel, 0);
  return {
    cpu: roundCpu(BASE_CORES + CPU_HEADROOM * (decode + scale + encode + audio)),
    memory: roundMemory(memory * MEMORY_HEADROOM),
  };
}

/** The pod's resources: cpu/memory requests, a memory limit, and one GPU in limits on a GPU. */
export function podResources(size: PodSize, gpuResource?: string): V1ResourceRequirements {
  return {
    requests: { cpu: formatCpu(size.cpu), memory: formatMemory(size.memory) },
    limits: {
      memory: formatMemory(size.memory * MEMORY_LIMIT_FACTOR),
      ...(gpuResource ? { [gpuResource]: '1' } : {}),
    },
  };
}

/** Hardware encoder sessions a stream opens: one per encoded rendition (passthrough copies). */
export function encoderSessions(profile: TranscodeProfile): number {
  return profile.spec.renditions.length;
}

function estimate(profile: TranscodeProfile, accelerator: Accelerator): ResourceEstimate {
  const size = podSize(profile, accelerator);
  const gpu = accelerator !== 'cpu';
  return {
    cpu: formatCpu(size.cpu),
    memory: formatMemory(size.memory),
    gpus: gpu ? 1 : 0,
    ...(gpu ? { encoderSessions: encoderSessions(profile) } : {}),
  };
}

/** What one stream of the profile requests on each accelerator (TranscodeProfile status.resourcesPerStream). */
export function estimateResources(profile: TranscodeProfile): StreamResources {
  return {
    nvidia: estimate(profile, 'nvidia'),
    amd: estimate(profile, 'amd'),
    cpu: estimate(profile, 'cpu'),
  };
}
