// The built children against the real local control plane: for every example LiveStream (as the
// API server defaults it), placement on the cluster's real Nodes, then every child and the two
// Secrets are server-side applied. The API server accepts them, a second apply changes nothing
// (no resourceVersion moves), and the scheduler puts each transcoder pod on a node placement chose.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject, V1Node, V1Pod } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { useCluster, type TestCluster } from '../../../localcluster/src/testing.js';
import type { LiveStream, TranscodeProfile } from '../../../operator/api/v1alpha1/index.js';
import { streamKeySecretRef } from '../../../operator/api/v1alpha1/index.js';
import {
  desiredChildren,
  names,
  playTokenSecret,
  streamKeySecret,
  type BuildContext,
} from '../../../operator/build/index.js';
import {
  DEFAULT_POLICY,
  decidePlacement,
  toNodeView,
  type PlacementResult,
} from '../../../operator/placement/index.js';
import { withDefaults } from '../../unit/build/fixtures.js';
import { v1alpha1 } from '../../../operator/api/v1alpha1/schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const examplesDir = join(root, 'examples');
const exampleFiles = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const namespace = `build-test-${process.pid}`;
const fieldManager = 'livestream-operator';

const ctx: BuildContext = {
  images: { ingest: 'localhost/livestream-ingest:dev', transcoder: 'localhost/livestream-transcoder:dev' },
  imagePullPolicy: 'IfNotPresent',
  imagePullSecrets: [],
  clusterDomain: 'cluster.local',
  amdDeviceGroups: [44, 109],
};

let cluster: TestCluster;
let createdRuntimeClass = false;
const nvidiaRuntimeClass = {
  apiVersion: 'node.k8s.io/v1',
  kind: 'RuntimeClass',
  metadata: { name: 'nvidia' },
  handler: 'nvidia',
};

async function kubectlOk(args: string[], input?: string): Promise<string> {
  const result = await cluster.kubectl(args, { input, timeoutMs: 60_000 });
  assert.equal(result.code, 0, `kubectl ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

const getJson = async <T>(args: string[]) => JSON.parse(await kubectlOk([...args, '-o', 'json'])) as T;

/** Server-side apply of objects (a List), returning name -> resourceVersion. */
async function apply(objects: KubernetesObject[]): Promise<Map<string, string>> {
  const list = { apiVersion: 'v1', kind: 'List', items: objects };
  await kubectlOk(
    ['apply', '--server-side', `--field-manager=${fieldManager}`, '-n', namespace, '-f', '-'],
    JSON.stringify(list),
  );
  const versions = new Map<string, string>();
  for (const o of objects) {
    const live = await getJson<KubernetesObject>(['get', '-n', namespace, `${o.kind}/${o.metadata!.name}`]);
    versions.set(`${o.kind}/${o.metadata!.name}`, live.metadata!.resourceVersion!);
  }
  return versions;
}

async function scheduledNode(stream: string): Promise<string> {
  const selector = `app.kubernetes.io/instance=${stream},app.kubernetes.io/component=transcoder`;
  for (let i = 0; i < 120; i++) {
    const pods = await getJson<{ items: V1Pod[] }>(['get', 'pods', '-n', namespace, '-l', selector]);
    const node = pods.items.find((p) => p.spec?.nodeName)?.spec?.nodeName;
    if (node) return node;
    await new Promise((r) => setTimeout(r, 500));
  }
  const events = await kubectlOk(['get', 'events', '-n', namespace, '--sort-by=.lastTimestamp']);
  throw new Error(`the transcoder pod of ${stream} was not scheduled within 60 s; events:\n${events}`);
}

const streams: LiveStream[] = [];
const profiles = new Map<string, TranscodeProfile>();
const placements = new Map<string, PlacementResult>();

before(async () => {
  cluster = await useCluster();
  await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', join(root, 'crds')]);
  await kubectlOk([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/livestreams.livestream-operator.io',
    'crd/transcodeprofiles.livestream-operator.io',
  ]);
  await kubectlOk(['create', 'namespace', namespace]);
  // main-stage names runtimeClassName nvidia: a pod naming a RuntimeClass that does not exist is refused.
  if ((await cluster.kubectl(['get', 'runtimeclass', 'nvidia'])).code !== 0) {
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(nvidiaRuntimeClass));
    createdRuntimeClass = true;
  }
  await kubectlOk(['apply', '-n', namespace, '-f', examplesDir]);
  for (const p of (
    await getJson<{ items: TranscodeProfile[] }>(['get', '-n', namespace, 'transcodeprofiles'])
  ).items)
    profiles.set(p.metadata.name!, p);
  streams.push(...(await getJson<{ items: LiveStream[] }>(['get', '-n', namespace, 'livestreams'])).items);
  // studio-b asks for a zone no local node has; a copy without it exercises AMD placement and rtmps.
  const studioB = structuredClone(streams.find((s) => s.metadata.name === 'studio-b')!);
  delete studioB.spec.placement.nodeSelector;
  studioB.metadata = { name: 'studio-b-any-zone', namespace };
  streams.push(studioB);
  // Nodes as the operator sees them: the requests of every pod already bound count.
  const pods = (await getJson<{ items: V1Pod[] }>(['get', 'pods', '--all-namespaces'])).items;
  const nodes = (await getJson<{ items: V1Node[] }>(['get', 'nodes'])).items.map((n) => toNodeView(n, pods));
  for (const stream of streams) {
    const profile = profiles.get(stream.spec.profileRef.name)!;
    placements.set(
      stream.metadata.name!,
      decidePlacement({ stream, profile, nodes, policy: DEFAULT_POLICY }),
    );
  }
});

after(async () => {
  if (!cluster) return;
  await cluster.kubectl(['delete', 'namespace', namespace, '--wait=false']);
  if (createdRuntimeClass) await cluster.kubectl(['delete', 'runtimeclass', 'nvidia', '--wait=false']);
  await cluster.stop();
});

describe('built children on the API server', () => {
  test('the test fixtures default examples exactly as the API server does', () => {
    const fromExamples = streams.filter((s) => s.metadata.name !== 'studio-b-any-zone');
    assert.equal(fromExamples.length + profiles.size, exampleFiles.length);
    for (const object of [...fromExamples, ...profiles.values()]) {
      const file = exampleFiles.find(
        (f) => parse(readFileSync(join(examplesDir, f), 'utf8')).metadata.name === object.metadata.name,
      )!;
      const kind = v1alpha1.kinds.find((k) => k.kind === object.kind)!;
      assert.deepEqual(
        withDefaults(kind.spec, parse(readFileSync(join(examplesDir, file), 'utf8')).spec),
        object.spec,
        file,
      );
    }
  });

  test('placement on the real nodes: L4 or the GeForce for NVIDIA (never the H100), AMD, CPU; studio-b asks for a zone no node has', () => {
    const summary = Object.fromEntries(
      [...placements].map(([name, p]) => [
        name,
        p.placed ? `${p.accelerator}:${p.candidateNodes.join(',')}` : `not placed:${p.reason}`,
      ]),
    );
    assert.deepEqual(summary, {
      'main-stage': 'nvidia:geforce-rtx-0,nvidia-l4-0,nvidia-l4-1',
      'premium-event': 'nvidia:geforce-rtx-0,nvidia-l4-0,nvidia-l4-1',
      'studio-b-any-zone': 'amd:amd-w7900-0,amd-w7900-1',
      'studio-b': 'not placed:NoSchedulableNode',
      'town-hall': 'cpu:cpu-0,cpu-1,cpu-2',
    });
  });

  test('every example’s children and Secrets apply server-side, and applying them again changes nothing', async () => {
    const all: KubernetesObject[] = [];
    for (const stream of streams) {
      const profile = profiles.get(stream.spec.profileRef.name)!;
      const placement = placements.get(stream.metadata.name!)!;
      all.push(...desiredChildren(stream, profile, placement.placed ? placement : undefined, ctx));
      all.push(playTokenSecret(stream, randomBytes(24).toString('base64url')));
      if (!stream.spec.ingest.streamKeySecretRef)
        all.push(streamKeySecret(stream, randomBytes(24).toString('base64url')));
      assert.equal(
        streamKeySecretRef(stream).name,
        stream.spec.ingest.streamKeySecretRef?.name ?? names.streamKeySecret(stream),
      );
    }
    const first = await apply(all);
    const second = await apply(all);
    assert.deepEqual(second, first, 'a second apply of the same children writes nothing');
  });

  test('the scheduler puts each placed transcoder on one of the candidate nodes', async () => {
    for (const [name, placement] of placements) {
      if (!placement.placed) continue;
      const node = await scheduledNode(name);
      assert.ok(
        placement.candidateNodes.includes(node),
        `${name} on ${node}, candidates ${placement.candidateNodes.join(', ')}`,
      );
      assert.ok(!node.startsWith('nvidia-h100'), 'never the H100');
    }
  });
});
