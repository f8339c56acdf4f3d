// The operator's side of placement: NodeViews from the caches (its own pods left out), and a
// transcoder that stayed unschedulable past the timeout placed again with the next choice.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Exclusions, nodeViews, place } from '../../../operator/controllers/livestream/placement.js';
import { BY_NODE, BY_STREAM, createCaches } from '../../../operator/cluster/caches.js';
import type { NodeRecord, PodUsage } from '../../../operator/cluster/usage.js';
import { podRequests, toPodUsage } from '../../../operator/cluster/usage.js';
import { DEFAULT_POLICY } from '../../../operator/placement/index.js';
import { liveStream, preference, seedLadder } from '../build/fixtures.js';
import { clusterNodes } from '../placement/nodes.js';

const nodes: NodeRecord[] = clusterNodes().map((n) => ({
  metadata: { name: n.name, labels: n.labels },
  taints: n.taints,
  allocatable: n.allocatable,
  ready: true,
  unschedulable: false,
  addresses: [],
}));

const pod = (name: string, p: Partial<PodUsage>): PodUsage => ({
  metadata: { name, namespace: 'streams', resourceVersion: name },
  requests: {},
  ready: false,
  deleting: false,
  ...p,
});

function cachesWith(...pods: PodUsage[]) {
  const c = createCaches();
  for (const p of pods) c.pods.upsert(p);
  assert.ok(BY_NODE && BY_STREAM);
  return c;
}

describe('nodeViews', () => {
  test('sum what pods request per node, leaving out the pods of the stream being placed', () => {
    const c = cachesWith(
      pod('other', { nodeName: 'nvidia-l4-0', requests: { 'nvidia.com/gpu': 3, cpu: 1.5 } }),
      pod('mine', {
        nodeName: 'nvidia-l4-0',
        requests: { 'nvidia.com/gpu': 1 },
        metadata: {
          name: 'mine',
          namespace: 'streams',
          labels: { 'livestream-operator.io/stream': 'main', 'app.kubernetes.io/component': 'transcoder' },
        },
      }),
    );
    const view = nodeViews(nodes, c.pods, { namespace: 'streams', name: 'main' }).find(
      (n) => n.name === 'nvidia-l4-0',
    )!;
    assert.deepEqual(view.requested, { 'nvidia.com/gpu': '3', cpu: '1.5' });
  });
});

describe('place', () => {
  const stream = liveStream('main', preference('nvidia', 'cpu'), (s) => {
    s.status = { placement: { accelerator: 'nvidia' } };
  });
  const stuck = (sinceMsAgo: number, now: number) =>
    pod('main-transcoder-1', {
      requests: { 'nvidia.com/gpu': 1, cpu: 1 },
      metadata: {
        name: 'main-transcoder-1',
        namespace: 'streams',
        labels: { 'livestream-operator.io/stream': 'main', 'app.kubernetes.io/component': 'transcoder' },
      },
      unschedulable: { since: new Date(now - sinceMsAgo).toISOString(), message: '0/9 nodes are available' },
    });
  const now = Date.parse('2026-12-01T10:00:00Z');
  const input = (p: PodUsage, exclusions = new Exclusions(600_000)) => ({
    stream,
    profile: seedLadder(),
    nodes,
    pods: cachesWith(p).pods,
    policy: DEFAULT_POLICY,
    exclusions,
    unschedulableTimeoutMs: 120_000,
    now,
  });

  test('a transcoder unschedulable for less than the timeout stays where it is and is looked at again when the timeout ends', () => {
    const out = place(input(stuck(30_000, now)));
    assert.equal(out.result.placed && out.result.accelerator, 'nvidia');
    assert.equal(out.gaveUp, undefined);
    assert.equal(out.recheckAfterMs, 90_000);
  });

  test('a transcoder unschedulable for longer than the timeout is placed with the next choice, and that is remembered', () => {
    const exclusions = new Exclusions(600_000);
    const out = place(input(stuck(150_000, now), exclusions));
    assert.deepEqual(out.gaveUp, { accelerator: 'nvidia', message: '0/9 nodes are available' });
    assert.equal(out.result.placed && out.result.accelerator, 'cpu');
    assert.deepEqual(exclusions.list('streams/main', now), ['nvidia']);
    assert.deepEqual(exclusions.list('streams/main', now + 600_001), [], 'the exclusion expires');
  });
});

describe('pod usage records', () => {
  test("the effective request is the larger of the containers' sum and the largest init container, plus overhead; limits stand in for missing requests", () => {
    assert.deepEqual(
      podRequests({
        containers: [
          { resources: { requests: { cpu: '500m', memory: '1Gi' } } },
          { resources: { limits: { 'nvidia.com/gpu': '1', cpu: '250m' } } },
        ],
        initContainers: [{ resources: { requests: { cpu: '2' } } }],
        overhead: { memory: '64Mi' },
      }),
      { cpu: 2, memory: 2 ** 30 + 64 * 2 ** 20, 'nvidia.com/gpu': 1 },
    );
  });

  test('a pod keeps only its usage, and labels only when the operator manages it', () => {
    const raw = {
      metadata: { name: 'p', namespace: 'n', labels: { app: 'x' }, annotations: { big: 'x'.repeat(1000) } },
      spec: { nodeName: 'cpu-0', containers: [{ resources: { requests: { cpu: '1' } } }] },
      status: {
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: 'no',
            lastTransitionTime: 't',
          },
        ],
      },
    };
    const u = toPodUsage(raw);
    assert.deepEqual(u.metadata, { name: 'p', namespace: 'n', uid: undefined, resourceVersion: undefined });
    assert.deepEqual(u.unschedulable, { since: 't', message: 'no' });
    assert.ok(JSON.stringify(u).length < 300);
  });
});
