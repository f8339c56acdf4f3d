// The transcoder pod's scheduling fields for an accelerator: resources, tolerations, node
// affinity to encode-capable products, runtime class, driver capabilities and render groups.
import type { V1Affinity, V1EnvVar, V1Toleration } from '@kubernetes/client-node';
import type { Accelerator, LiveStream, Toleration } from '../api/v1alpha1/index.js';
import { podResources, type PodSize } from './resources.js';
import { DEFAULT_POLICY } from './products.js';
import type { PlacementPolicy, TranscoderPodPlacement } from './types.js';
import { AMD, NVIDIA, gpuVendor } from './vendors.js';

/** The spec's tolerations as core/v1 Tolerations (unset fields left out). */
export function specTolerations(stream: LiveStream): V1Toleration[] {
  return (stream.spec.placement.tolerations ?? []).map((t: Toleration) => ({
    ...(t.key === undefined ? {} : { key: t.key }),
    operator: t.operator,
    ...(t.value === undefined ? {} : { value: t.value }),
    ...(t.effect === undefined ? {} : { effect: t.effect }),
    ...(t.tolerationSeconds === undefined ? {} : { tolerationSeconds: t.tolerationSeconds }),
  }));
}

/** Every toleration the transcoder pod gets on this accelerator: the vendor's GPU taint, then the spec's. */
export function podTolerations(stream: LiveStream, accelerator: Accelerator): V1Toleration[] {
  const vendor = gpuVendor(accelerator);
  // The key the ExtendedResourceToleration admission plugin would add, with the same shape.
  const gpu: V1Toleration[] = vendor
    ? [{ key: vendor.resource, operator: 'Exists', effect: 'NoSchedule' }]
    : [];
  return [...gpu, ...specTolerations(stream)];
}

/** GPU pods: only nodes whose product label is one of the encode-capable products found. */
function gpuAffinity(productLabel: string, products: string[]): V1Affinity {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: productLabel, operator: 'In', values: products }] }],
      },
    },
  };
}

/** CPU pods: prefer nodes without GPUs, so GPU nodes' CPUs stay for GPU transcoders. */
const cpuAffinity: V1Affinity = {
  nodeAffinity: {
    preferredDuringSchedulingIgnoredDuringExecution: [
      {
        weight: 50,
        preference: {
          matchExpressions: [
            { key: NVIDIA.productLabel, operator: 'DoesNotExist' },
            { key: AMD.productLabel, operator: 'DoesNotExist' },
          ],
        },
      },
    ],
  },
};

/** NVIDIA_VISIBLE_DEVICES is left to the device plugin: a value here would override its choice of GPU. */
const nvidiaEnv: V1EnvVar[] = [{ name: 'NVIDIA_DRIVER_CAPABILITIES', value: 'compute,utility,video' }];

export function podPlacement(
  accelerator: Accelerator,
  stream: LiveStream,
  policy: PlacementPolicy,
  size: PodSize,
  products: string[],
): TranscoderPodPlacement {
  const vendor = gpuVendor(accelerator);
  const nodeSelector = stream.spec.placement.nodeSelector;
  const common = {
    resources: podResources(size, vendor?.resource),
    ...(nodeSelector && Object.keys(nodeSelector).length > 0 ? { nodeSelector: { ...nodeSelector } } : {}),
    tolerations: podTolerations(stream, accelerator),
  };
  if (accelerator === 'nvidia') {
    const runtimeClassName = stream.spec.placement.runtimeClassName || policy.nvidiaRuntimeClass;
    return {
      ...common,
      affinity: gpuAffinity(NVIDIA.productLabel, products),
      ...(runtimeClassName ? { runtimeClassName } : {}),
      env: nvidiaEnv,
    };
  }
  if (accelerator === 'amd') {
    return {
      ...common,
      affinity: gpuAffinity(AMD.productLabel, products),
      env: [],
      supplementalGroups: [...(policy.amdDeviceGroups ?? DEFAULT_POLICY.amdDeviceGroups ?? [])],
    };
  }
  return { ...common, affinity: cpuAffinity, env: [] };
}
