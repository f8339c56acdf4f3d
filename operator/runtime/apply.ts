// Children through server-side apply under one field manager, each with a controller owner reference
// to its LiveStream (garbage collection deletes them with it). A hash of the desired object rides
// along as an annotation: when the cached child carries the same hash (and, for a Deployment, the
// same replicas), nothing is sent, so a restart writes nothing when nothing changed. Edits the cache
// cannot see (a pod template changed by hand) are put back by a forced apply once per resync period:
// an apply that changes nothing is not written by the API server either.
import { createHash } from 'node:crypto';
import type { Cache } from './cache.js';
import type { KubeClient, KubeObject, OwnerReference } from './rest.js';
import { kindOf, objectPath, type ResourceKind } from './resources.js';

export const FIELD_MANAGER = 'livestream-operator';
export const HASH_ANNOTATION = 'livestream-operator.io/applied-hash';

export function controllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion!,
    kind: owner.kind!,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The object as it is applied: owner reference and the hash of everything else. */
export function withOwnerAndHash(child: KubeObject, owner: KubeObject): KubeObject {
  const owned: KubeObject = {
    ...child,
    metadata: { ...child.metadata, ownerReferences: [controllerRef(owner)] },
  };
  const hash = createHash('sha256').update(stableJson(owned)).digest('hex').slice(0, 16);
  return {
    ...owned,
    metadata: { ...owned.metadata, annotations: { ...owned.metadata.annotations, [HASH_ANNOTATION]: hash } },
  };
}

/** Whether the child someone else (or nobody) controls may be taken: not when another owner controls it. */
export function controlledByOther(
  existing: KubeObject | undefined,
  owner: KubeObject,
): OwnerReference | undefined {
  const ref = existing?.metadata.ownerReferences?.find((r) => r.controller);
  return ref && ref.uid !== owner.metadata.uid ? ref : undefined;
}

export function upToDate(existing: KubeObject | undefined, desired: KubeObject): boolean {
  const want = desired.metadata.annotations?.[HASH_ANNOTATION];
  if (existing === undefined || existing.metadata.annotations?.[HASH_ANNOTATION] !== want) return false;
  // The Deployment cache keeps spec.replicas: a `kubectl scale` is seen and undone at once.
  const replicas = (o: KubeObject) => (o as { spec?: { replicas?: number } }).spec?.replicas;
  return desired.kind !== 'Deployment' || replicas(existing) === replicas(desired);
}

export interface ApplyOutcome {
  applied: string[];
  unchanged: string[];
}

/** Applies every desired child that is not already as desired in the cache (every one with `force`). */
export async function applyChildren(
  client: KubeClient,
  owner: KubeObject,
  desired: KubeObject[],
  cacheFor: (kind: string) => Cache<KubeObject> | undefined,
  force = false,
): Promise<ApplyOutcome> {
  const outcome: ApplyOutcome = { applied: [], unchanged: [] };
  const sends: (() => Promise<unknown>)[] = [];
  for (const child of desired) {
    const rk = kindOf(child.apiVersion, child.kind);
    if (!rk)
      throw new Error(`cannot apply ${child.apiVersion} ${child.kind}: not a kind the operator manages`);
    const obj = withOwnerAndHash(child, owner);
    const ns = obj.metadata.namespace ?? owner.metadata.namespace;
    const existing = cacheFor(rk.kind)?.getIn(ns, obj.metadata.name!);
    const other = controlledByOther(existing, owner);
    const label = `${rk.kind}/${obj.metadata.name}`;
    if (other) throw new Error(`${label} is controlled by ${other.kind}/${other.name}; not taking it over`);
    if (!force && upToDate(existing, obj)) {
      outcome.unchanged.push(label);
      continue;
    }
    outcome.applied.push(label);
    sends.push(() =>
      client.apply(
        objectPath(rk, ns, obj.metadata.name!),
        { ...obj, metadata: { ...obj.metadata, namespace: ns } },
        FIELD_MANAGER,
      ),
    );
  }
  // Children do not depend on each other at apply time (a pod waits for its ConfigMap): send at once.
  await Promise.all(sends.map((send) => send()));
  return outcome;
}

/** JSON with object keys sorted, so equal objects hash equally whatever order they were built in. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** Server-side applies `status` to the status subresource of `obj`, under the operator's field manager. */
export async function applyStatus(
  client: KubeClient,
  rk: ResourceKind,
  obj: KubeObject,
  status: unknown,
): Promise<void> {
  const { name, namespace } = obj.metadata;
  await client.apply(
    objectPath(rk, namespace, name!, 'status'),
    { apiVersion: rk.apiVersion, kind: rk.kind, metadata: { name, namespace }, status },
    FIELD_MANAGER,
  );
}
