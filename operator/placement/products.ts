// Which GPUs can encode: allow-lists of words in the product label, per vendor and codec.
// `nvidia.com/gpu` only says a node has NVIDIA GPUs; A100, A30, H100 and H200 have no NVENC, so the
// decision reads GPU Feature Discovery's product label (and the AMD labeller's) instead.
import type { VideoCodec } from '../api/v1alpha1/index.js';
import type { PlacementPolicy } from './types.js';

/** NVENC-capable product words (the chart's documented built-in list). */
export const NVENC_PRODUCTS = ['T4', 'A2', 'A10', 'A10G', 'A16', 'A40', 'L4', 'L40', 'L40S', 'RTX', 'QUADRO'];
/** VCN-capable AMD product words (the chart's documented built-in list). */
export const VCN_PRODUCTS = ['RADEON', 'V520', 'V620', 'V710', 'W6800', 'W7800', 'W7900'];

export const DEFAULT_POLICY: PlacementPolicy = {
  nvencProducts: { h264: NVENC_PRODUCTS, hevc: NVENC_PRODUCTS },
  vcnProducts: { h264: VCN_PRODUCTS, hevc: VCN_PRODUCTS },
  geforceSessionCap: 8,
  amdDeviceGroups: [44, 109],
};

/** The words of a product label: NVIDIA-L4 -> [NVIDIA, L4]; AMD_Radeon_PRO_W7900 -> [AMD, Radeon, PRO, W7900]. */
export function productWords(product: string): string[] {
  return product
    .split(/[-_\s./]+/)
    .filter((w) => w !== '')
    .map((w) => w.toUpperCase());
}

/**
 * Whether a product label names an allowed GPU: some list entry appears as a whole word
 * (case-insensitive), so L4 matches NVIDIA-L4 but not NVIDIA-L40S, and A10 not NVIDIA-A100. An
 * entry of several words (e.g. "RTX-A4000") must appear as consecutive words.
 */
export function productAllowed(product: string, allowList: readonly string[]): boolean {
  const words = productWords(product);
  return allowList.some((entry) => {
    const wanted = productWords(entry);
    if (wanted.length === 0) return false;
    return words.some((_, i) => wanted.every((w, j) => words[i + j] === w));
  });
}

/** A policy with every empty list replaced by the built-in one (the chart's "empty: built-in" rule). */
export function withDefaultLists(policy: PlacementPolicy): PlacementPolicy {
  const pick = (list: string[], builtIn: string[]) => (list.length > 0 ? list : builtIn);
  return {
    ...policy,
    nvencProducts: {
      h264: pick(policy.nvencProducts.h264, NVENC_PRODUCTS),
      hevc: pick(policy.nvencProducts.hevc, NVENC_PRODUCTS),
    },
    vcnProducts: {
      h264: pick(policy.vcnProducts.h264, VCN_PRODUCTS),
      hevc: pick(policy.vcnProducts.hevc, VCN_PRODUCTS),
    },
  };
}

export const codecs: VideoCodec[] = ['h264', 'hevc'];
