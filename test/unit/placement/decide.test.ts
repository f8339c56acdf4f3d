// decidePlacement on the local cluster's node pools (2 nodes with 4 x L4, one 8 x H100, one GeForce
// RTX 4090 workstation, 2 nodes with 2 x AMD W7900, 3 CPU nodes), changed per case with modifiers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Accelerator, LiveStream, TranscodeProfile } from '../../../operator/api/v1alpha1/index.js';
import {
  DEFAULT_POLICY,
  decidePlacement,
  type NodeView,
  type PlacementPolicy,
  type PlacementResult,
} from '../../../operator/placement/index.js';
import {
  amdApi,
  hevc,
  liveStream,
  lowLatency,
  noCpuFallback,
  nodeSelector,
  preference,
  renditionCount,
  runtimeClass,
  seedLadder,
  tolerate,
} from '../build/fixtures.js';
import {
  allocatable,
  clusterNodes,
  cordoned,
  cpuFull,
  gpusFull,
  gpusUsed,
  label,
  notReady,
  only,
  taint,
  where,
} from './nodes.js';

interface Case {
  name: string;
  stream: LiveStream;
  profile?: TranscodeProfile;
  nodes: NodeView[];
  policy?: Partial<PlacementPolicy>;
  exclude?: Accelerator[];
  current?: Accelerator;
  expect: Partial<{
    placed: boolean;
    accelerator: Accelerator;
    encoder: string;
    fallback: boolean;
    reason: string;
    gpuProduct: string;
    candidateNodes: string[];
    message: string | RegExp;
  }>;
}

const all = clusterNodes();
/** Every NVENC-capable GPU (L4s and the GeForce) taken. */
const nvencFull = where(where(all, 'nvidia-l4', gpusFull), 'geforce', gpusFull);
const nvidiaFirst = liveStream('main-stage', preference('nvidia', 'cpu'));
const nvidiaOnly = liveStream('premium-event', preference('nvidia'), noCpuFallback);

function decide(
  c: Pick<Case, 'stream' | 'profile' | 'nodes' | 'policy' | 'exclude' | 'current'>,
): PlacementResult {
  return decidePlacement({
    stream: c.stream,
    profile: c.profile ?? seedLadder(),
    nodes: c.nodes,
    policy: { ...DEFAULT_POLICY, ...c.policy },
    ...(c.exclude ? { exclude: c.exclude } : {}),
    ...(c.current ? { current: c.current } : {}),
  });
}

const cases: Case[] = [
  {
    name: 'L4 preferred and free: an NVENC node, never the H100',
    stream: nvidiaFirst,
    nodes: all,
    expect: {
      placed: true,
      accelerator: 'nvidia',
      encoder: 'h264_nvenc',
      fallback: false,
      reason: 'Preferred',
      gpuProduct: 'NVIDIA-GeForce-RTX-4090, NVIDIA-L4',
      candidateNodes: ['geforce-rtx-0', 'nvidia-l4-0', 'nvidia-l4-1'],
    },
  },
  {
    name: 'L4s full and AMD next in the order: AMD, a fallback',
    stream: liveStream('s', preference('nvidia', 'amd', 'cpu')),
    nodes: nvencFull,
    expect: {
      placed: true,
      accelerator: 'amd',
      encoder: 'h264_vaapi',
      fallback: true,
      reason: 'FellBackToAmd',
      gpuProduct: 'AMD_Radeon_PRO_W7900',
      candidateNodes: ['amd-w7900-0', 'amd-w7900-1'],
      message:
        /^nvidia passed over: no NVIDIA node with an NVENC-capable GPU \(h264\) has a free nvidia\.com\/gpu: nvidia-l4-0, nvidia-l4-1 4\/4 in use, geforce-rtx-0 1\/1 in use, nvidia-h100-0 NVIDIA-H100-80GB-HBM3 cannot encode; running on amd/,
    },
  },
  {
    name: 'L4s full and CPU next: CPU fallback with the reason',
    stream: nvidiaFirst,
    nodes: nvencFull,
    expect: {
      placed: true,
      accelerator: 'cpu',
      encoder: 'libx264',
      fallback: true,
      reason: 'FellBackToCpu',
      candidateNodes: ['cpu-0', 'cpu-1', 'cpu-2'],
      message: /nvidia passed over: .*4\/4 in use.*; running on cpu \(libx264\), 3 candidate nodes$/,
    },
  },
  {
    name: 'an H100-only cluster is not NVENC: CPU fallback',
    stream: nvidiaFirst,
    nodes: only(all, 'nvidia-h100', 'cpu'),
    expect: { accelerator: 'cpu', reason: 'FellBackToCpu', message: /NVIDIA-H100-80GB-HBM3 cannot encode/ },
  },
  {
    name: 'an H100-only cluster without fallback: not placed, no encode-capable GPU',
    stream: nvidiaOnly,
    nodes: only(all, 'nvidia-h100', 'cpu'),
    expect: {
      placed: false,
      reason: 'NoEncodeCapableGpu',
      message:
        'no NVIDIA node has an NVENC-capable GPU (h264): nvidia-h100-0 NVIDIA-H100-80GB-HBM3 cannot encode; ' +
        'add a node with an encode-capable GPU or extend the allow-list (gpu.*.encodeCapableProducts) ' +
        'or allow CPU fallback (spec.placement.allowCpuFallback: true)',
    },
  },
  {
    name: 'fallback disallowed and every NVENC GPU in use: not placed, with what is missing and what to do',
    stream: nvidiaOnly,
    nodes: nvencFull,
    expect: {
      placed: false,
      reason: 'NoFreeGpu',
      message:
        'no NVIDIA node with an NVENC-capable GPU (h264) has a free nvidia.com/gpu: nvidia-l4-0, nvidia-l4-1 4/4 in use, ' +
        'geforce-rtx-0 1/1 in use, nvidia-h100-0 NVIDIA-H100-80GB-HBM3 cannot encode; ' +
        'free a GPU or allow CPU fallback (spec.placement.allowCpuFallback: true)',
    },
  },
  {
    name: 'GeForce session cap exceeded: the GeForce is passed over',
    stream: nvidiaOnly,
    profile: seedLadder(renditionCount(5)),
    // A GeForce with two GPUs, one in use: ~5 sessions open, 5 more would pass the cap of 8.
    nodes: where(only(all, 'geforce'), 'geforce', allocatable('nvidia.com/gpu', '2'), gpusUsed(1)),
    expect: {
      placed: false,
      reason: 'EncoderSessionLimit',
      message:
        /^no NVIDIA node with a free NVENC-capable GPU \(h264\) has 5 NVENC sessions left: geforce-rtx-0 GeForce NVENC sessions ~5\/8 in use, needs 5;/,
    },
  },
  {
    name: 'GeForce within its session cap: placed there',
    stream: nvidiaOnly,
    profile: seedLadder(renditionCount(4)),
    nodes: where(only(all, 'geforce'), 'geforce', allocatable('nvidia.com/gpu', '2'), gpusUsed(1)),
    expect: { placed: true, accelerator: 'nvidia', candidateNodes: ['geforce-rtx-0'] },
  },
  {
    name: 'a lower session cap leaves a GeForce out even when its GPU is free',
    stream: nvidiaFirst,
    nodes: only(all, 'geforce', 'cpu'),
    policy: { geforceSessionCap: 3 },
    expect: { accelerator: 'cpu', message: /geforce-rtx-0 GeForce NVENC sessions ~0\/3 in use, needs 4/ },
  },
  {
    name: 'hevc on a product allowed only for h264: passed over',
    stream: nvidiaFirst,
    profile: lowLatency(hevc),
    nodes: only(all, 'nvidia-l4', 'cpu'),
    policy: { nvencProducts: { h264: ['L4'], hevc: ['L40S'] } },
    expect: {
      accelerator: 'cpu',
      encoder: 'libx265',
      message: /nvidia-l4-0, nvidia-l4-1 NVIDIA-L4 is allowed for h264 only/,
    },
  },
  {
    name: 'hevc on an allowed product: hevc_nvenc',
    stream: nvidiaFirst,
    profile: seedLadder(hevc),
    nodes: only(all, 'nvidia-l4'),
    expect: { accelerator: 'nvidia', encoder: 'hevc_nvenc', gpuProduct: 'NVIDIA-L4' },
  },
  {
    name: 'a taint the pod does not tolerate keeps it off the node',
    stream: nvidiaFirst,
    nodes: where(only(all, 'nvidia-l4', 'cpu'), 'nvidia-l4', taint('dedicated', 'streaming')),
    expect: {
      accelerator: 'cpu',
      message: /nvidia-l4-0, nvidia-l4-1 taint dedicated=streaming:NoSchedule not tolerated/,
    },
  },
  {
    name: 'a tolerated taint does not',
    stream: liveStream('s', preference('nvidia', 'cpu'), tolerate('dedicated', 'streaming')),
    nodes: where(only(all, 'nvidia-l4', 'cpu'), 'nvidia-l4', taint('dedicated', 'streaming')),
    expect: { accelerator: 'nvidia', candidateNodes: ['nvidia-l4-0', 'nvidia-l4-1'] },
  },
  {
    name: 'a CPU transcoder does not tolerate the GPU taint, so GPU nodes are not CPU candidates',
    stream: liveStream('s', preference('cpu')),
    nodes: all,
    expect: {
      accelerator: 'cpu',
      reason: 'Preferred',
      fallback: false,
      candidateNodes: ['cpu-0', 'cpu-1', 'cpu-2'],
    },
  },
  {
    name: 'a node that is not ready or cordoned is skipped',
    stream: nvidiaFirst,
    nodes: where(where(only(all, 'nvidia-l4', 'cpu'), 'nvidia-l4-0', notReady), 'nvidia-l4-1', cordoned),
    expect: { accelerator: 'cpu', message: /can take the pod: nvidia-l4-0 not ready, nvidia-l4-1 cordoned;/ },
  },
  {
    name: 'a nodeSelector narrows the candidates',
    stream: liveStream(
      's',
      preference('nvidia', 'cpu'),
      nodeSelector({ 'livestream-operator.io/pool': 'nvidia-l4' }),
    ),
    nodes: where(all, 'nvidia-l4-1', label('extra', 'x')),
    expect: {
      accelerator: 'nvidia',
      gpuProduct: 'NVIDIA-L4',
      candidateNodes: ['nvidia-l4-0', 'nvidia-l4-1'],
    },
  },
  {
    name: 'a nodeSelector no node matches: not placed, says which label',
    stream: liveStream('s', preference('cpu'), nodeSelector({ 'topology.kubernetes.io/zone': 'zone-b' })),
    nodes: only(all, 'cpu'),
    expect: {
      placed: false,
      reason: 'NoSchedulableNode',
      message:
        'no node can take a CPU transcoder (libx264): cpu-0, cpu-1, cpu-2 does not match nodeSelector topology.kubernetes.io/zone=zone-b; ' +
        'check spec.placement.nodeSelector and tolerations and the nodes',
    },
  },
  {
    name: 'the current placement is kept while it fits, even when a preferred GPU is free',
    stream: nvidiaFirst,
    nodes: all,
    current: 'cpu',
    expect: {
      accelerator: 'cpu',
      fallback: true,
      reason: 'FellBackToCpu',
      message: /^kept on cpu .*nvidia comes first/,
    },
  },
  {
    name: 'the current GPU placement is kept although its own pod fills the node',
    stream: nvidiaFirst,
    nodes: nvencFull,
    current: 'nvidia',
    expect: {
      accelerator: 'nvidia',
      reason: 'Preferred',
      candidateNodes: ['geforce-rtx-0', 'nvidia-l4-0', 'nvidia-l4-1'],
    },
  },
  {
    name: 'a current placement no longer in the order is not kept',
    stream: liveStream('s', preference('nvidia')),
    nodes: all,
    current: 'amd',
    expect: { accelerator: 'nvidia', reason: 'Preferred' },
  },
  {
    name: 'an excluded accelerator is skipped, and the message says so',
    stream: liveStream('s', preference('nvidia', 'amd', 'cpu')),
    nodes: all,
    exclude: ['nvidia'],
    expect: {
      accelerator: 'amd',
      reason: 'FellBackToAmd',
      message:
        /^nvidia passed over: nvidia skipped: the transcoder stayed unschedulable there; running on amd/,
    },
  },
  {
    name: 'an excluded current placement is not kept',
    stream: nvidiaFirst,
    nodes: all,
    current: 'nvidia',
    exclude: ['nvidia'],
    expect: { accelerator: 'cpu', reason: 'FellBackToCpu' },
  },
  {
    name: 'a custom allow-list replaces the built-in one',
    stream: nvidiaFirst,
    nodes: all,
    policy: { nvencProducts: { h264: ['L4'], hevc: ['L4'] } },
    expect: {
      accelerator: 'nvidia',
      gpuProduct: 'NVIDIA-L4',
      candidateNodes: ['nvidia-l4-0', 'nvidia-l4-1'],
    },
  },
  {
    name: 'an empty allow-list means the built-in one',
    stream: nvidiaFirst,
    nodes: only(all, 'nvidia-l4'),
    policy: { nvencProducts: { h264: [], hevc: [] } },
    expect: { accelerator: 'nvidia', gpuProduct: 'NVIDIA-L4' },
  },
  {
    name: 'an allow-list that names the H100 lets it encode (the operator trusts the list)',
    stream: nvidiaFirst,
    nodes: only(all, 'nvidia-h100'),
    policy: { nvencProducts: { h264: ['H100'], hevc: [] } },
    expect: { accelerator: 'nvidia', gpuProduct: 'NVIDIA-H100-80GB-HBM3' },
  },
  {
    name: 'AMD with api amf: the AMF encoder',
    stream: liveStream('s', preference('amd')),
    profile: seedLadder(amdApi('amf')),
    nodes: all,
    expect: { accelerator: 'amd', encoder: 'h264_amf' },
  },
  {
    name: 'a GPU node without the product label: says which label is missing',
    stream: nvidiaOnly,
    nodes: where(only(all, 'nvidia-l4-0'), 'nvidia-l4-0', (n) => delete n.labels['nvidia.com/gpu.product']),
    expect: {
      placed: false,
      reason: 'GpuProductUnknown',
      message:
        /^no NVIDIA node has a nvidia\.com\/gpu\.product label \(GPU Feature Discovery writes it\): nvidia-l4-0 has nvidia\.com\/gpu but no nvidia\.com\/gpu\.product label;/,
    },
  },
  {
    name: 'a cluster without NVIDIA nodes: no node has nvidia.com/gpu',
    stream: nvidiaOnly,
    nodes: only(all, 'cpu'),
    expect: { placed: false, reason: 'NoGpuNode', message: /^no node has nvidia\.com\/gpu;/ },
  },
  {
    name: 'a free GPU on a node without CPU left: passed over with the figures',
    stream: nvidiaOnly,
    nodes: where(only(all, 'nvidia-l4-0'), 'nvidia-l4-0', cpuFull),
    expect: {
      placed: false,
      reason: 'InsufficientResources',
      message: /nvidia-l4-0 0m CPU free, needs 650m;/,
    },
  },
  {
    name: 'a ladder larger than any node: not placed, the figures show why',
    stream: liveStream('s', preference('cpu')),
    profile: seedLadder(hevc),
    nodes: only(all, 'cpu'),
    expect: {
      placed: false,
      reason: 'InsufficientCpu',
      message: /cpu-0, cpu-1, cpu-2 15890m CPU free, needs 24700m;/,
    },
  },
  {
    name: 'CPU nodes full: not placed, with the request that does not fit',
    stream: liveStream('s', preference('cpu')),
    nodes: where(only(all, 'cpu'), 'cpu', cpuFull),
    expect: {
      placed: false,
      reason: 'InsufficientCpu',
      message:
        /^no node has 6900m CPU and 448Mi memory free for a CPU transcoder \(libx264\): cpu-0, cpu-1, cpu-2 0m CPU free, needs 6900m; free CPU and memory or add nodes$/,
    },
  },
];

describe('decidePlacement', () => {
  for (const c of cases) {
    test(c.name, () => {
      const result = decide(c);
      const { message, ...rest } = c.expect;
      const actual = Object.fromEntries(
        Object.keys(rest).map((k) => [k, (result as unknown as Record<string, unknown>)[k]]),
      );
      assert.deepEqual(actual, rest, result.message);
      if (typeof message === 'string') assert.equal(result.message, message);
      if (message instanceof RegExp) assert.match(result.message, message);
    });
  }

  test('reasons are CamelCase words a condition accepts', () => {
    for (const c of cases) assert.match(decide(c).reason, /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/, c.name);
  });

  test('the same input gives the same answer', () => {
    for (const c of cases) assert.deepEqual(decide(c), decide(c), c.name);
  });

  test('a message about many nodes stays short', () => {
    const many = Array.from(
      { length: 200 },
      (_, i) => where(only(all, 'nvidia-l4-0'), 'nvidia-l4-0', gpusFull, (n) => (n.name = `gpu-${i}`))[0]!,
    );
    const result = decide({ stream: nvidiaOnly, nodes: many });
    assert.equal(result.placed, false);
    assert.match(result.message, /gpu-0, gpu-1, gpu-10 and 197 more 4\/4 in use/);
    assert.ok(result.message.length < 400, result.message);
  });
});

describe('the transcoder pod of a placement', () => {
  const placed = (c: Parameters<typeof decide>[0]) => {
    const result = decide(c);
    assert.ok(result.placed, result.message);
    return result;
  };

  test('on NVIDIA: one GPU in limits, the GPU taint tolerated, node affinity to encode-capable products, video driver capability', () => {
    const { pod } = placed({
      stream: liveStream('s', preference('nvidia'), tolerate('dedicated', 'streaming')),
      nodes: all,
    });
    assert.equal(pod.resources.limits?.['nvidia.com/gpu'], '1');
    assert.equal(pod.resources.requests?.['nvidia.com/gpu'], undefined);
    assert.deepEqual(pod.tolerations, [
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'dedicated', operator: 'Equal', value: 'streaming', effect: 'NoSchedule' },
    ]);
    assert.deepEqual(
      pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
      [
        {
          matchExpressions: [
            {
              key: 'nvidia.com/gpu.product',
              operator: 'In',
              values: ['NVIDIA-GeForce-RTX-4090', 'NVIDIA-L4'],
            },
          ],
        },
      ],
    );
    assert.deepEqual(pod.env, [{ name: 'NVIDIA_DRIVER_CAPABILITIES', value: 'compute,utility,video' }]);
    assert.ok(
      !pod.env.some((e) => e.name === 'NVIDIA_VISIBLE_DEVICES'),
      'the device plugin sets NVIDIA_VISIBLE_DEVICES',
    );
    assert.equal(pod.runtimeClassName, undefined);
    assert.equal(pod.supplementalGroups, undefined);
  });

  const productsIn = (result: ReturnType<typeof placed>) =>
    result.pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]
      ?.matchExpressions?.[0]?.values;

  test('the GPU affinity does not change as nodes fill up (no rollout when capacity moves)', () => {
    const free = placed({ stream: nvidiaFirst, nodes: all });
    const l4sFull = placed({ stream: nvidiaFirst, nodes: where(all, 'nvidia-l4', gpusFull) });
    assert.deepEqual(l4sFull.candidateNodes, ['geforce-rtx-0']);
    assert.deepEqual(productsIn(l4sFull), productsIn(free));
    assert.deepEqual(productsIn(free), ['NVIDIA-GeForce-RTX-4090', 'NVIDIA-L4']);
  });

  test('the GPU affinity lists only products on nodes the nodeSelector allows', () => {
    const stream = liveStream(
      's',
      preference('nvidia'),
      nodeSelector({ 'livestream-operator.io/pool': 'nvidia-l4' }),
    );
    assert.deepEqual(productsIn(placed({ stream, nodes: all })), ['NVIDIA-L4']);
  });

  test("on NVIDIA: the stream's runtimeClassName, else the policy's", () => {
    const policy = { nvidiaRuntimeClass: 'nvidia-cdi' };
    assert.equal(placed({ stream: nvidiaFirst, nodes: all, policy }).pod.runtimeClassName, 'nvidia-cdi');
    const own = liveStream('s', preference('nvidia'), runtimeClass('nvidia'));
    assert.equal(placed({ stream: own, nodes: all, policy }).pod.runtimeClassName, 'nvidia');
  });

  test('on AMD: amd.com/gpu in limits, its taint tolerated, the render groups, no runtime class', () => {
    const { pod } = placed({
      stream: liveStream('s', preference('amd'), runtimeClass('nvidia')),
      nodes: all,
    });
    assert.equal(pod.resources.limits?.['amd.com/gpu'], '1');
    assert.deepEqual(pod.tolerations, [{ key: 'amd.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    assert.deepEqual(pod.supplementalGroups, [44, 109]);
    assert.equal(pod.runtimeClassName, undefined);
    assert.deepEqual(
      pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]
        ?.matchExpressions,
      [{ key: 'amd.com/gpu.product-name', operator: 'In', values: ['AMD_Radeon_PRO_W7900'] }],
    );
  });

  test('on CPU: requests sized from the ladder, a memory limit, no CPU limit, a preference for nodes without GPUs', () => {
    const { pod } = placed({
      stream: liveStream('s', preference('cpu'), nodeSelector({ disk: 'ssd' })),
      nodes: where(all, 'cpu', label('disk', 'ssd')),
    });
    assert.deepEqual(pod.resources, {
      requests: { cpu: '6900m', memory: '448Mi' },
      limits: { memory: '896Mi' },
    });
    assert.deepEqual(pod.nodeSelector, { disk: 'ssd' });
    assert.deepEqual(pod.tolerations, []);
    assert.equal(pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution, undefined);
    assert.equal(pod.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length, 1);
  });
});
