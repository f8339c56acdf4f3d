// What the schema documents but cannot default, because the value depends on another field.
// The operator and the transcoder resolve these here, so both read the API the same way.

import type {
  Accelerator,
  IngestSpec,
  LiveStream,
  PlacementSpec,
  Rendition,
  SecretKeyReference,
} from './types.js';

/** Peak video bitrate: videoMaxrateKbps, or videoBitrateKbps when unset. */
export function maxrateKbps(rendition: Rendition): number {
  return rendition.videoMaxrateKbps ?? rendition.videoBitrateKbps;
}

/** Rate-control buffer: videoBufsizeKbit, or two seconds at the peak bitrate when unset. */
export function bufsizeKbit(rendition: Rendition): number {
  return rendition.videoBufsizeKbit ?? 2 * maxrateKbps(rendition);
}

/** Ingest Service port: service.port, or 1935 for rtmp and 443 for rtmps when unset. */
export function ingestServicePort(ingest: IngestSpec): number {
  return ingest.service.port ?? (ingest.protocol === 'rtmps' ? 443 : 1935);
}

/** Where the stream key is: the referenced Secret, or the one the operator generates. */
export function streamKeySecretRef(stream: Pick<LiveStream, 'metadata' | 'spec'>): SecretKeyReference {
  return (
    stream.spec.ingest.streamKeySecretRef ?? { name: `${stream.metadata.name}-stream-key`, key: 'streamKey' }
  );
}

/**
 * The accelerators to try, in order: acceleratorPreference, then cpu when allowCpuFallback is true
 * and the list does not name it. The first entry is the preferred one; landing on any later one is
 * a fallback (the AcceleratorFallback condition).
 */
export function acceleratorOrder(
  placement: Pick<PlacementSpec, 'acceleratorPreference' | 'allowCpuFallback'>,
): Accelerator[] {
  const order = [...placement.acceleratorPreference];
  if (placement.allowCpuFallback && !order.includes('cpu')) order.push('cpu');
  return order;
}
