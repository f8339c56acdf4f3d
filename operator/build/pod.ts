// Pieces both data-plane Deployments share: the Deployment shell, Secret volumes, probes.
import type { V1Deployment, V1PodSpec, V1Probe, V1Volume } from '@kubernetes/client-node';
import type { LiveStream } from '../api/v1alpha1/index.js';
import type { BuildContext } from './context.js';
import { childLabels, childMeta, selectorLabels, type Component } from './labels.js';
import { SECRET_MODE } from './security.js';

export function secretVolume(name: string, secretName: string, key: string, path: string): V1Volume {
  return { name, secret: { secretName, items: [{ key, path }], defaultMode: SECRET_MODE } };
}

export const httpProbe = (path: string, periodSeconds: number, failureThreshold = 3): V1Probe => ({
  httpGet: { path, port: 'admin' },
  periodSeconds,
  timeoutSeconds: 2,
  failureThreshold,
});

/** One replica, Recreate (a GPU or a stream key is never held by two pods), selector instance+component. */
export function deployment(
  stream: LiveStream,
  name: string,
  component: Component,
  podSpec: V1PodSpec,
  ctx: BuildContext,
  podAnnotations?: Record<string, string>,
): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMeta(stream, name, component),
    spec: {
      replicas: 1,
      revisionHistoryLimit: 3,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: selectorLabels(stream, component) },
      template: {
        metadata: {
          labels: childLabels(stream, component),
          ...(podAnnotations ? { annotations: podAnnotations } : {}),
        },
        spec: {
          automountServiceAccountToken: false,
          // Many streams share a namespace: no Service environment variables for every one of them.
          enableServiceLinks: false,
          ...(ctx.imagePullSecrets.length > 0
            ? { imagePullSecrets: ctx.imagePullSecrets.map((name) => ({ name })) }
            : {}),
          ...podSpec,
        },
      },
    },
  };
}
