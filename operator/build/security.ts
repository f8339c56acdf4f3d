// The restricted Pod Security Standard for every data-plane pod: non-root 65532 (the images'
// user), read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp.
import type { V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';

export const DATA_PLANE_UID = 65532;

export function podSecurityContext(supplementalGroups?: number[]): V1PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: DATA_PLANE_UID,
    runAsGroup: DATA_PLANE_UID,
    // Secret volumes are group-owned by fsGroup, so their files can be 0440.
    fsGroup: DATA_PLANE_UID,
    ...(supplementalGroups && supplementalGroups.length > 0 ? { supplementalGroups } : {}),
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export const containerSecurityContext: V1SecurityContext = {
  runAsNonRoot: true,
  runAsUser: DATA_PLANE_UID,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

/** Secret files readable by the owner and fsGroup only. */
export const SECRET_MODE = 0o440;
