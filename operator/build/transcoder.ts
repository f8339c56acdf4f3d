// The transcoder Deployment: livestream-transcoder with its config, the play token, an output
// emptyDir for segments and the placement's scheduling fields.
import type { V1Deployment } from '@kubernetes/client-node';
import type { LiveStream, TranscodeProfile } from '../api/v1alpha1/index.js';
import type { Placed } from '../placement/index.js';
import type { BuildContext } from './context.js';
import { outputSizeLimit } from './config.js';
import { keys, names, paths, ports } from './names.js';
import { deployment, httpProbe, secretVolume } from './pod.js';
import { containerSecurityContext, podSecurityContext } from './security.js';

export const CONFIG_HASH_ANNOTATION = 'livestream-operator.io/config-hash';
const TRANSCODER_GRACE_SECONDS = 15;

export function transcoderDeployment(
  stream: LiveStream,
  profile: TranscodeProfile,
  placement: Placed,
  hash: string,
  ctx: BuildContext,
): V1Deployment {
  const { pod } = placement;
  const amd = placement.accelerator === 'amd';
  const supplementalGroups = amd ? ctx.amdDeviceGroups : pod.supplementalGroups;
  const image =
    placement.accelerator === 'nvidia' && ctx.images.transcoderNvidia
      ? ctx.images.transcoderNvidia
      : ctx.images.transcoder;
  return deployment(
    stream,
    names.transcoder(stream),
    'transcoder',
    {
      securityContext: podSecurityContext(supplementalGroups),
      terminationGracePeriodSeconds: TRANSCODER_GRACE_SECONDS,
      ...(pod.nodeSelector ? { nodeSelector: { ...pod.nodeSelector } } : {}),
      ...(pod.affinity ? { affinity: pod.affinity } : {}),
      tolerations: pod.tolerations,
      ...(pod.runtimeClassName ? { runtimeClassName: pod.runtimeClassName } : {}),
      containers: [
        {
          name: 'transcoder',
          image,
          imagePullPolicy: ctx.imagePullPolicy,
          args: ['--config', paths.configFile],
          ...(pod.env.length > 0 ? { env: pod.env } : {}),
          ports: [
            { name: 'http', containerPort: ports.http, protocol: 'TCP' },
            { name: 'admin', containerPort: ports.admin, protocol: 'TCP' },
          ],
          readinessProbe: httpProbe('/readyz', 5),
          livenessProbe: httpProbe('/healthz', 10),
          resources: pod.resources,
          securityContext: containerSecurityContext,
          volumeMounts: [
            { name: 'config', mountPath: paths.configDir, readOnly: true },
            { name: 'play-token', mountPath: paths.playTokenDir, readOnly: true },
            { name: 'output', mountPath: paths.output },
            { name: 'tmp', mountPath: paths.tmp },
          ],
        },
      ],
      volumes: [
        {
          name: 'config',
          configMap: {
            name: names.transcoderConfig(stream),
            items: [{ key: keys.config, path: keys.config }],
          },
        },
        secretVolume('play-token', names.playToken(stream), keys.playToken, 'token'),
        { name: 'output', emptyDir: { sizeLimit: outputSizeLimit(stream, profile) } },
        { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
      ],
    },
    ctx,
    { [CONFIG_HASH_ANNOTATION]: hash },
  );
}
