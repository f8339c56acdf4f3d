// What the builders need from the operator's configuration (the chart's dataPlane.* and gpu.amd values).
export interface BuildContext {
  images: {
    ingest: string;
    transcoder: string;
    /** The NVENC image (transcoder-nvidia target) for NVIDIA placements; transcoder when unset. */
    transcoderNvidia?: string;
  };
  imagePullPolicy: string;
  imagePullSecrets: string[];
  /** DNS suffix of Services (cluster.local). */
  clusterDomain: string;
  /** Supplementary groups that own /dev/dri on AMD nodes (render, video). */
  amdDeviceGroups: number[];
}
