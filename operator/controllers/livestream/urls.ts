// Where encoders publish and viewers play, from the Services as they are: a LoadBalancer's address,
// a NodePort on a node's address, or the cluster DNS name. Never includes the stream key.
import type { LiveStream } from '../../api/v1alpha1/index.js';
import { ingestServicePort } from '../../api/v1alpha1/index.js';
import type { NodeRecord } from '../../cluster/usage.js';

export interface ServiceView {
  metadata: { name?: string; namespace?: string };
  spec?: { type?: string; ports?: { port: number; nodePort?: number; name?: string }[] };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

/** A host (and port) to reach a Service from where its users are. */
export function serviceAddress(
  svc: ServiceView | undefined,
  fallbackName: string,
  namespace: string,
  port: number,
  clusterDomain: string,
  nodes: NodeRecord[],
): { host: string; port: number; external: boolean } {
  const type = svc?.spec?.type;
  const svcPort = svc?.spec?.ports?.[0];
  if (type === 'LoadBalancer') {
    const ingress = svc?.status?.loadBalancer?.ingress?.[0];
    const host = ingress?.ip ?? ingress?.hostname;
    if (host) return { host, port: svcPort?.port ?? port, external: true };
  }
  if ((type === 'NodePort' || type === 'LoadBalancer') && svcPort?.nodePort) {
    const address = nodeAddress(nodes);
    if (address) return { host: address, port: svcPort.nodePort, external: true };
  }
  return {
    host: `${svc?.metadata.name ?? fallbackName}.${namespace}.svc.${clusterDomain}`,
    port,
    external: false,
  };
}

/** An ExternalIP of a ready node, else an InternalIP (sorted, so the choice is stable). */
export function nodeAddress(nodes: NodeRecord[]): string | undefined {
  const ready = [...nodes]
    .filter((n) => n.ready)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const type of ['ExternalIP', 'InternalIP'])
    for (const n of ready) {
      const a = n.addresses.find((x) => x.type === type);
      if (a) return a.address;
    }
  return undefined;
}

export function ingestUrl(
  stream: LiveStream,
  svc: ServiceView | undefined,
  clusterDomain: string,
  nodes: NodeRecord[],
): string {
  const ns = stream.metadata.namespace!;
  const port = ingestServicePort(stream.spec.ingest);
  const a = serviceAddress(svc, `${stream.metadata.name}-ingest`, ns, port, clusterDomain, nodes);
  return `${stream.spec.ingest.protocol}://${a.host}:${a.port}/live`;
}

export function playbackUrls(
  stream: LiveStream,
  svc: ServiceView | undefined,
  clusterDomain: string,
  nodes: NodeRecord[],
): { hlsUrl?: string; dashUrl?: string; previewUrl: string } {
  const ns = stream.metadata.namespace!;
  const a = serviceAddress(
    svc,
    `${stream.metadata.name}-playback`,
    ns,
    stream.spec.output.service.port,
    clusterDomain,
    nodes,
  );
  const base = `http://${a.host}${a.port === 80 ? '' : `:${a.port}`}`;
  return {
    ...(stream.spec.output.hls.enabled ? { hlsUrl: `${base}/master.m3u8` } : {}),
    ...(stream.spec.output.dash.enabled ? { dashUrl: `${base}/manifest.mpd` } : {}),
    previewUrl: `${base}/`,
  };
}
