// Per-accelerator facts: which node label names the GPU, which extended resource and taint the
// vendor's device plugin uses, what the encoder is called, and which ffmpeg encoder a profile gets.
import type { Accelerator, TranscodeProfile, VideoCodec } from '../api/v1alpha1/index.js';
import type { PlacementPolicy } from './types.js';

export interface GpuVendor {
  accelerator: 'nvidia' | 'amd';
  /** How messages name it. */
  display: string;
  /** The hardware encoder's name in messages. */
  engine: string;
  /** The label naming the GPU model (GPU Feature Discovery, AMD's node labeller). */
  productLabel: string;
  /** Who writes productLabel, for messages. */
  labeller: string;
  /** The device plugin's extended resource, also the taint key GPU node pools carry. */
  resource: string;
  allowList(policy: PlacementPolicy, codec: VideoCodec): string[];
}

export const NVIDIA: GpuVendor = {
  accelerator: 'nvidia',
  display: 'NVIDIA',
  engine: 'NVENC',
  productLabel: 'nvidia.com/gpu.product',
  labeller: 'GPU Feature Discovery',
  resource: 'nvidia.com/gpu',
  allowList: (policy, codec) => policy.nvencProducts[codec],
};

export const AMD: GpuVendor = {
  accelerator: 'amd',
  display: 'AMD',
  engine: 'VCN',
  productLabel: 'amd.com/gpu.product-name',
  labeller: "AMD's node labeller",
  resource: 'amd.com/gpu',
  allowList: (policy, codec) => policy.vcnProducts[codec],
};

export function gpuVendor(accelerator: Accelerator): GpuVendor | undefined {
  if (accelerator === 'nvidia') return NVIDIA;
  if (accelerator === 'amd') return AMD;
  return undefined;
}

/** The ffmpeg encoder the transcoder runs for this profile on this accelerator. */
export function encoderFor(accelerator: Accelerator, profile: TranscodeProfile): string {
  const codec = profile.spec.video.codec;
  if (accelerator === 'nvidia') return `${codec}_nvenc`;
  if (accelerator === 'amd') return `${codec}_${profile.spec.encoders.amd.api}`;
  return codec === 'hevc' ? 'libx265' : 'libx264';
}

/** GeForce drivers cap concurrent NVENC sessions; data-centre and workstation cards do not. */
export function isGeforce(product: string | undefined): boolean {
  return product !== undefined && /geforce/i.test(product);
}
