// A TranscodeProfile: Ready/Stalled, how many LiveStreams use it, and the resources one stream of it
// needs on each accelerator (estimateResources). A profile's spec change re-enqueues its streams from
// the event handler (manager.ts), which roll their transcoders through the ConfigMap hash.
import type { TranscodeProfile, TranscodeProfileStatus } from '../../api/v1alpha1/index.js';
import { estimateResources } from '../../placement/index.js';
import { BY_PROFILE, type Caches } from '../../cluster/caches.js';
import { applyStatus } from '../../runtime/apply.js';
import { mergeConditions, statusChanged, type ConditionInput } from '../../runtime/conditions.js';
import type { KubeClient, KubeObject } from '../../runtime/rest.js';
import { kinds } from '../../runtime/resources.js';

export interface ProfileReconcilerDeps {
  client: KubeClient;
  caches: Caches;
  now?: () => Date;
}

/** Problems the API schema cannot catch (cross-field), as the Stalled message; none: undefined. */
export function profileProblem(p: TranscodeProfile): string | undefined {
  const { renditions, limits } = p.spec;
  const tooBig = renditions.filter((r) => r.width > limits.maxWidth || r.height > limits.maxHeight);
  if (tooBig.length)
    return `renditions ${tooBig.map((r) => r.name).join(', ')} exceed limits.maxWidth x maxHeight ${limits.maxWidth}x${limits.maxHeight}`;
  return undefined;
}

export function profileStatus(p: TranscodeProfile, streams: number, now: Date): TranscodeProfileStatus {
  const problem = profileProblem(p);
  const wanted: ConditionInput[] = problem
    ? [
        { type: 'Ready', status: 'False', reason: 'InvalidProfile', message: problem },
        { type: 'Stalled', status: 'True', reason: 'InvalidProfile', message: problem },
      ]
    : [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Valid',
          message: `${p.spec.renditions.length} renditions, ${p.spec.video.codec}; used by ${streams} LiveStream${streams === 1 ? '' : 's'}`,
        },
        { type: 'Stalled', status: 'False', reason: 'AsExpected', message: 'no problem that needs you' },
      ];
  return {
    observedGeneration: p.metadata.generation,
    conditions: mergeConditions(p.status?.conditions, wanted, p.metadata.generation, now),
    liveStreamCount: streams,
    resourcesPerStream: estimateResources(p),
  };
}

export class ProfileReconciler {
  constructor(private readonly d: ProfileReconcilerDeps) {}

  async reconcile(key: string): Promise<void> {
    const profile = this.d.caches.profiles.get(key);
    if (!profile || profile.metadata.deletionTimestamp) return;
    const streams = this.d.caches.streams.byIndex(BY_PROFILE, key).length;
    const next = profileStatus(profile, streams, this.d.now?.() ?? new Date());
    if (!statusChanged(profile.status, next)) return;
    await applyStatus(this.d.client, kinds.TranscodeProfile, profile as unknown as KubeObject, next);
  }
}
