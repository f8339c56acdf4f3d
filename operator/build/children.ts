// desiredChildren: every object a LiveStream should have right now, fully specified for
// server-side apply (no ownerReferences: the operator's apply layer adds the controller reference).
// Suspended: no Deployments; not placed: no transcoder Deployment. Services and the ConfigMap stay,
// so addresses survive a suspend.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { LiveStream, TranscodeProfile } from '../api/v1alpha1/index.js';
import { acceleratorOrder } from '../api/v1alpha1/index.js';
import type { Placed } from '../placement/index.js';
import { configHash, configMap, renderConfig, transcoderConfig } from './config.js';
import type { BuildContext } from './context.js';
import { ingestDeployment } from './ingest.js';
import { ingestInternalService, ingestService, playbackService } from './services.js';
import { transcoderDeployment } from './transcoder.js';

export function desiredChildren(
  stream: LiveStream,
  profile: TranscodeProfile,
  placement: Placed | undefined,
  ctx: BuildContext,
): KubernetesObject[] {
  const accelerator = placement?.accelerator ?? acceleratorOrder(stream.spec.placement)[0] ?? 'cpu';
  const config = renderConfig(transcoderConfig(stream, profile, accelerator, ctx.clusterDomain));
  const running = !stream.spec.suspend;
  return [
    ingestService(stream),
    ingestInternalService(stream),
    playbackService(stream),
    configMap(stream, config),
    ...(running ? [ingestDeployment(stream, ctx)] : []),
    ...(running && placement
      ? [transcoderDeployment(stream, profile, placement, configHash(config), ctx)]
      : []),
  ];
}
