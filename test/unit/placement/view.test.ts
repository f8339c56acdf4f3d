// NodeView from a Node and its pods: requests counted the way the scheduler counts them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { podRequests, toNodeView } from '../../../operator/placement/index.js';

const node: V1Node = {
  metadata: { name: 'nvidia-l4-0', labels: { 'nvidia.com/gpu.product': 'NVIDIA-L4' } },
  spec: { taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }] },
  status: {
    allocatable: { cpu: '47810m', memory: '181Gi', 'nvidia.com/gpu': '4' },
    conditions: [{ type: 'Ready', status: 'True' }],
  },
};

const pod = (name: string, extra: Partial<V1Pod['spec']> = {}, phase = 'Running'): V1Pod => ({
  metadata: { name },
  spec: {
    nodeName: 'nvidia-l4-0',
    containers: [
      {
        name: 'a',
        resources: { requests: { cpu: '500m', memory: '256Mi' }, limits: { 'nvidia.com/gpu': '1' } },
      },
      { name: 'b', resources: { requests: { cpu: '250m' } } },
    ],
    ...extra,
  },
  status: { phase },
});

describe('pod requests', () => {
  test('containers add up; a GPU given only in limits counts as requested', () => {
    assert.deepEqual(podRequests(pod('p')), { cpu: 0.75, memory: 256 * 2 ** 20, 'nvidia.com/gpu': 1 });
  });

  test('an init container counts only when it asks for more than the containers; a sidecar adds up', () => {
    const init = pod('p', {
      initContainers: [
        { name: 'init', resources: { requests: { cpu: '2' } } },
        { name: 'sidecar', restartPolicy: 'Always', resources: { requests: { memory: '64Mi' } } },
      ],
    });
    assert.deepEqual(podRequests(init), { cpu: 2, memory: 320 * 2 ** 20, 'nvidia.com/gpu': 1 });
  });

  test('pod overhead is added', () => {
    assert.equal(podRequests(pod('p', { overhead: { cpu: '100m' } })).cpu, 0.85);
  });
});

describe('toNodeView', () => {
  test('sums the non-terminated pods bound to the node, and reads labels, taints and readiness', () => {
    const other = pod('elsewhere', { nodeName: 'cpu-0' });
    const done = pod('done', {}, 'Succeeded');
    const view = toNodeView(node, [pod('one'), pod('two'), other, done]);
    assert.deepEqual(view, {
      name: 'nvidia-l4-0',
      labels: { 'nvidia.com/gpu.product': 'NVIDIA-L4' },
      taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }],
      allocatable: { cpu: '47810m', memory: '181Gi', 'nvidia.com/gpu': '4' },
      requested: { cpu: '1500m', memory: String(512 * 2 ** 20), 'nvidia.com/gpu': '2' },
      ready: true,
      unschedulable: false,
    });
  });

  test('a node without a Ready=True condition is not ready; a cordoned one is unschedulable', () => {
    const view = toNodeView(
      {
        ...node,
        spec: { unschedulable: true },
        status: { conditions: [{ type: 'Ready', status: 'Unknown' }] },
      },
      [],
    );
    assert.equal(view.ready, false);
    assert.equal(view.unschedulable, true);
    assert.deepEqual(view.requested, {});
  });
});
