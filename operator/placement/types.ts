// The placement decision's inputs and result: what the operator knows about the nodes, the
// cluster-wide GPU policy (the chart's gpu.* values), and where a stream's transcoder goes.
import type { V1Affinity, V1EnvVar, V1ResourceRequirements, V1Toleration } from '@kubernetes/client-node';
import type { Accelerator, LiveStream, TranscodeProfile } from '../api/v1alpha1/index.js';

/** What placement needs to know about one node (the operator builds it from its Node and Pod caches). */
export interface NodeView {
  name: string;
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: string }[];
  /** Kubernetes quantities, as in node.status.allocatable. */
  allocatable: Record<string, string>;
  /** Sum of requests (and GPU limits) of non-terminated pods bound to the node. */
  requested: Record<string, string>;
  ready: boolean;
  unschedulable: boolean;
}

/** Cluster-wide GPU settings (chart values gpu.*). */
export interface PlacementPolicy {
  /** Words of nvidia.com/gpu.product that mark an NVENC-capable GPU, per codec. */
  nvencProducts: { h264: string[]; hevc: string[] };
  /** Words of amd.com/gpu.product-name that mark a GPU with a VCN encoder, per codec. */
  vcnProducts: { h264: string[]; hevc: string[] };
  /** Concurrent NVENC sessions a GeForce driver allows per node. */
  geforceSessionCap: number;
  /** runtimeClassName for NVIDIA transcoder pods when the LiveStream names none. */
  nvidiaRuntimeClass?: string;
  /** Supplementary groups owning /dev/dri render nodes on AMD nodes (default [44, 109]). */
  amdDeviceGroups?: number[];
}

export interface PlacementInput {
  stream: LiveStream;
  profile: TranscodeProfile;
  nodes: NodeView[];
  policy: PlacementPolicy;
  /** Accelerators to skip: the operator sets these when a transcoder stayed unschedulable too long. */
  exclude?: Accelerator[];
  /** The current placement, kept while it still fits (no flapping). */
  current?: Accelerator;
}

/** The transcoder pod's scheduling fields for one placement. */
export interface TranscoderPodPlacement {
  resources: V1ResourceRequirements;
  nodeSelector?: Record<string, string>;
  affinity?: V1Affinity;
  tolerations: V1Toleration[];
  runtimeClassName?: string;
  /** NVIDIA_DRIVER_CAPABILITIES=compute,utility,video on nvidia (NVIDIA_VISIBLE_DEVICES is the device plugin's). */
  env: V1EnvVar[];
  /** AMD render groups. */
  supplementalGroups?: number[];
}

export interface Placed {
  placed: true;
  accelerator: Accelerator;
  /** h264_nvenc | hevc_nvenc | h264_vaapi | hevc_vaapi | h264_amf | hevc_amf | libx264 | libx265 */
  encoder: string;
  /** Landed on other than the first accelerator in the stream's order. */
  fallback: boolean;
  /** CamelCase: Preferred | FellBackToCpu | FellBackToAmd | FellBackToNvidia. */
  reason: string;
  /** Which preferences were passed over and why. */
  message: string;
  /** The GPU product label of the candidate nodes (several joined by ", "); the operator may replace it with the bound node's. */
  gpuProduct?: string;
  /** Nodes that can take the pod now (sorted). */
  candidateNodes: string[];
  pod: TranscoderPodPlacement;
}

export interface NotPlaced {
  placed: false;
  /** CamelCase, from the first accelerator in the stream's order: NoEncodeCapableGpu, NoFreeGpu, ... */
  reason: string;
  /** Actionable: what is missing and what to do. */
  message: string;
}

export type PlacementResult = Placed | NotPlaced;
