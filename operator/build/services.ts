// The three Services of a LiveStream: the ingest Service encoders publish to (shaped by
// spec.ingest.service), an internal ClusterIP Service for the transcoder's pull and the operator's
// status reads (the admin port never reaches a public load balancer), and the playback Service.
import type { V1Service, V1ServicePort } from '@kubernetes/client-node';
import type { IngestService, LiveStream, PlaybackService } from '../api/v1alpha1/index.js';
import { ingestServicePort } from '../api/v1alpha1/index.js';
import { childMeta, selectorLabels, type Component } from './labels.js';
import { names, ports } from './names.js';

type ServiceShape = Pick<
  IngestService,
  'type' | 'nodePort' | 'annotations' | 'loadBalancerClass' | 'loadBalancerSourceRanges'
>;

function service(
  stream: LiveStream,
  name: string,
  component: Component,
  shape: ServiceShape,
  servicePorts: V1ServicePort[],
): V1Service {
  const external = shape.type !== 'ClusterIP';
  const lb = shape.type === 'LoadBalancer';
  const meta = childMeta(stream, name, component);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { ...meta, ...(shape.annotations ? { annotations: { ...shape.annotations } } : {}) },
    spec: {
      type: shape.type,
      selector: selectorLabels(stream, component),
      ports: servicePorts.map((p) => ({
        ...p,
        ...(external && shape.nodePort ? { nodePort: shape.nodePort } : {}),
      })),
      ...(lb && shape.loadBalancerClass ? { loadBalancerClass: shape.loadBalancerClass } : {}),
      ...(lb && shape.loadBalancerSourceRanges
        ? { loadBalancerSourceRanges: [...shape.loadBalancerSourceRanges] }
        : {}),
    },
  };
}

/** Where encoders publish: rtmp -> the rtmp port, rtmps -> the rtmps port (443 by default). */
export function ingestService(stream: LiveStream): V1Service {
  const { ingest } = stream.spec;
  const portName = ingest.protocol === 'rtmps' ? 'rtmps' : 'rtmp';
  return service(stream, names.ingestService(stream), 'ingest', ingest.service, [
    { name: portName, port: ingestServicePort(ingest), targetPort: portName, protocol: 'TCP' },
  ]);
}

/** The transcoder pulls RTMP here and the operator reads /status; inside the cluster only. */
export function ingestInternalService(stream: LiveStream): V1Service {
  return service(stream, names.ingestInternalService(stream), 'ingest', { type: 'ClusterIP' }, [
    { name: 'rtmp', port: ports.rtmp, targetPort: 'rtmp', protocol: 'TCP' },
    { name: 'admin', port: ports.admin, targetPort: 'admin', protocol: 'TCP' },
  ]);
}

/** Viewers and CDNs: spec.output.service.port -> the transcoder's HTTP origin (8080). */
export function playbackService(stream: LiveStream): V1Service {
  const shape: PlaybackService = stream.spec.output.service;
  return service(stream, names.playbackService(stream), 'transcoder', shape, [
    { name: 'http', port: shape.port, targetPort: 'http', protocol: 'TCP' },
  ]);
}

/** In-cluster DNS name of a Service of the stream. */
export function serviceHost(stream: LiveStream, serviceName: string, clusterDomain: string): string {
  return `${serviceName}.${stream.metadata.namespace}.svc.${clusterDomain}`;
}
