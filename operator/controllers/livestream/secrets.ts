// The stream's two Secrets: the stream key (generated when the user names none) and the internal play
// token only the transcoder has. Created once and never changed (the RBAC grants create, not update);
// the values are random, URL-safe, and never logged, evented or copied into status.
import { randomBytes } from 'node:crypto';
import type { LiveStream } from '../../api/v1alpha1/index.js';
import { streamKeySecretRef } from '../../api/v1alpha1/index.js';
import { playTokenSecret, streamKeySecret } from '../../build/index.js';
import { controllerRef, FIELD_MANAGER } from '../../runtime/apply.js';
import type { Cache } from '../../runtime/cache.js';
import { isConflict, isNotFound, type KubeClient, type KubeObject } from '../../runtime/rest.js';
import { collectionPath, kinds, objectPath } from '../../runtime/resources.js';

/** 32 URL-safe characters from 24 random bytes. */
export const newSecretValue = (): string => randomBytes(24).toString('base64url');

async function createOnce(
  client: KubeClient,
  secrets: Cache<KubeObject>,
  owner: KubeObject,
  secret: KubeObject,
): Promise<boolean> {
  const ns = owner.metadata.namespace!;
  if (secrets.getIn(ns, secret.metadata.name!)) return false;
  const body = {
    ...secret,
    metadata: { ...secret.metadata, namespace: ns, ownerReferences: [controllerRef(owner)] },
  };
  try {
    await client.create(collectionPath(kinds.Secret, ns), body, FIELD_MANAGER);
    return true;
  } catch (err) {
    if (isConflict(err)) return false; // exists (the cache had not caught up)
    throw err;
  }
}

/**
 * Makes sure both Secrets exist. Returns a problem sentence when the user-named stream key Secret is
 * missing (the ingest cannot start without it), undefined otherwise.
 */
export async function ensureSecrets(
  client: KubeClient,
  secrets: Cache<KubeObject>,
  stream: LiveStream,
): Promise<string | undefined> {
  const owner = stream as unknown as KubeObject;
  const ns = stream.metadata.namespace!;
  await createOnce(client, secrets, owner, playTokenSecret(stream, newSecretValue()) as KubeObject);
  const userRef = stream.spec.ingest.streamKeySecretRef;
  if (!userRef) {
    await createOnce(client, secrets, owner, streamKeySecret(stream, newSecretValue()) as KubeObject);
    return undefined;
  }
  try {
    const s = await client.get<{ data?: Record<string, string> }>(objectPath(kinds.Secret, ns, userRef.name));
    if (!s.data?.[userRef.key])
      return `Secret ${userRef.name} has no key ${userRef.key} (spec.ingest.streamKeySecretRef)`;
    return undefined;
  } catch (err) {
    if (isNotFound(err))
      return `Secret ${userRef.name} (spec.ingest.streamKeySecretRef) does not exist in namespace ${ns}; create it or remove the reference to have one generated`;
    throw err;
  }
}

export { streamKeySecretRef };
