// The ingest Deployment: livestream-ingest (docs/ingest.md) with the stream key and the play token
// mounted from their Secrets, and the TLS Secret for rtmps.
import type { V1ContainerPort, V1Deployment, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { LiveStream } from '../api/v1alpha1/index.js';
import { streamKeySecretRef } from '../api/v1alpha1/index.js';
import type { BuildContext } from './context.js';
import { keys, names, paths, ports } from './names.js';
import { deployment, httpProbe, secretVolume } from './pod.js';
import { SECRET_MODE, containerSecurityContext, podSecurityContext } from './security.js';

/** Above the ingest's --shutdown-timeout (10 s) plus the 2 s it allows itself. */
const INGEST_GRACE_SECONDS = 15;

export function ingestDeployment(stream: LiveStream, ctx: BuildContext): V1Deployment {
  const keyRef = streamKeySecretRef(stream);
  const tls = stream.spec.ingest.protocol === 'rtmps' ? stream.spec.ingest.tls : undefined;
  const volumes: V1Volume[] = [
    secretVolume('stream-key', keyRef.name, keyRef.key, 'key'),
    secretVolume('play-token', names.playToken(stream), keys.playToken, 'token'),
  ];
  const mounts: V1VolumeMount[] = [
    { name: 'stream-key', mountPath: paths.streamKeyDir, readOnly: true },
    { name: 'play-token', mountPath: paths.playTokenDir, readOnly: true },
  ];
  const args = [`--stream-key-file=${paths.streamKeyFile}`, `--play-token-file=${paths.playTokenFile}`];
  const containerPorts: V1ContainerPort[] = [{ name: 'rtmp', containerPort: ports.rtmp, protocol: 'TCP' }];
  if (tls) {
    volumes.push({
      name: 'tls',
      secret: {
        secretName: tls.secretName,
        items: [
          { key: 'tls.crt', path: 'tls.crt' },
          { key: 'tls.key', path: 'tls.key' },
        ],
        defaultMode: SECRET_MODE,
      },
    });
    mounts.push({ name: 'tls', mountPath: paths.tlsDir, readOnly: true });
    args.push(`--tls-cert-file=${paths.tlsDir}/tls.crt`, `--tls-key-file=${paths.tlsDir}/tls.key`);
    containerPorts.push({ name: 'rtmps', containerPort: ports.rtmps, protocol: 'TCP' });
  }
  containerPorts.push({ name: 'admin', containerPort: ports.admin, protocol: 'TCP' });
  return deployment(
    stream,
    names.ingest(stream),
    'ingest',
    {
      securityContext: podSecurityContext(),
      terminationGracePeriodSeconds: INGEST_GRACE_SECONDS,
      containers: [
        {
          name: 'ingest',
          image: ctx.images.ingest,
          imagePullPolicy: ctx.imagePullPolicy,
          args,
          ports: containerPorts,
          readinessProbe: httpProbe('/readyz', 2),
          livenessProbe: httpProbe('/healthz', 10),
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '256Mi' } },
          securityContext: containerSecurityContext,
          volumeMounts: mounts,
        },
      ],
      volumes,
    },
    ctx,
  );
}
