// The one label map every child carries. The chart's PodMonitor selects pods by name, managed-by
// and component, and relabels by livestream-operator.io/stream and component (docs/monitoring.md).
import type { LiveStream } from '../api/v1alpha1/index.js';

export type Component = 'ingest' | 'transcoder';

export const STREAM_LABEL = 'livestream-operator.io/stream';
export const MANAGER = 'livestream-operator';

export function childLabels(
  stream: Pick<LiveStream, 'metadata'>,
  component: Component,
): Record<string, string> {
  const name = stream.metadata.name ?? '';
  return {
    'app.kubernetes.io/name': 'livestream',
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/managed-by': MANAGER,
    [STREAM_LABEL]: name,
  };
}

/** Deployment and Service selectors: instance and component only (a Deployment selector is immutable). */
export function selectorLabels(
  stream: Pick<LiveStream, 'metadata'>,
  component: Component,
): Record<string, string> {
  const { 'app.kubernetes.io/instance': instance, 'app.kubernetes.io/component': c } = childLabels(
    stream,
    component,
  );
  return { 'app.kubernetes.io/instance': instance!, 'app.kubernetes.io/component': c! };
}

/** metadata for a child: name, the stream's namespace, the labels. No ownerReferences (the apply layer adds them). */
export function childMeta(stream: Pick<LiveStream, 'metadata'>, name: string, component: Component) {
  return { name, namespace: stream.metadata.namespace ?? '', labels: childLabels(stream, component) };
}
