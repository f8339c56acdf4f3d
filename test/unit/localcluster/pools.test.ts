import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PoolsError } from '../../../localcluster/src/errors.js';
import { loadPools, parsePools, renderNodes, resolvePoolsPath } from '../../../localcluster/src/pools.js';
import { parseQuantity } from '../../../lib/quantity.js';

const minimal = `
pools:
  - name: cpu
    count: 2
    capacity: { cpu: "16", memory: 64Gi, pods: "110" }
`;

/** A valid pool with one field replaced, as YAML. */
function poolWith(extra: string): string {
  return `pools:\n  - name: gpu\n    capacity: { cpu: "8", memory: 32Gi, pods: "110", nvidia.com/gpu: "1" }\n${extra}`;
}

function rejects(text: string, message: RegExp): void {
  assert.throws(
    () => parsePools(text, 'pools.yaml'),
    (err: unknown) =>
      err instanceof PoolsError && err.code === 'LSO_CLUSTER_POOLS_INVALID' && message.test(err.message),
  );
}

describe('parseQuantity', () => {
  test('reads the suffixes Kubernetes uses', () => {
    assert.equal(parseQuantity('4'), 4);
    assert.equal(parseQuantity('3500m'), 3.5);
    assert.equal(parseQuantity('16Gi'), 16 * 2 ** 30);
    assert.equal(parseQuantity('1k'), 1000);
    assert.equal(parseQuantity('1e3'), 1000);
    assert.equal(parseQuantity('0.5'), 0.5);
  });
  test('rejects what is not a quantity', () => {
    for (const bad of ['', 'abc', '16GB', '1.2.3', '4 cores'])
      assert.equal(parseQuantity(bad), undefined, bad);
  });
});

describe('parsePools', () => {
  test('a minimal pool: count defaults to 1, allocatable to capacity, no labels or taints', () => {
    const [pool] = parsePools('pools:\n  - name: a\n    capacity: { cpu: 1, memory: 1Gi, pods: 10 }\n', 'f');
    assert.deepEqual(pool, {
      name: 'a',
      count: 1,
      capacity: { cpu: '1', memory: '1Gi', pods: '10' },
      allocatable: { cpu: '1', memory: '1Gi', pods: '10' },
      labels: {},
      taints: [],
    });
  });

  const cases: [string, string, RegExp][] = [
    ['not YAML', 'pools: [', /pools\.yaml: not valid YAML/],
    ['no pools', 'other: 1', /\(top level\)\.other: unknown field; allowed fields are pools/],
    ['empty pools', 'pools: []', /pools: must be a non-empty list/],
    [
      'a typo in a field name',
      poolWith('    lables: {}\n'),
      /pools\[0\]\.lables: unknown field; allowed fields are name, count/,
    ],
    [
      'a bad pool name',
      minimal.replace('name: cpu', 'name: CPU_pool'),
      /pools\[0\]\.name: "CPU_pool" must be 1-50 lower-case/,
    ],
    [
      'a negative count',
      minimal.replace('count: 2', 'count: -1'),
      /pools\[0\]\.count: must be a whole number from 0 to 5000, not number -1/,
    ],
    [
      'a fractional count',
      minimal.replace('count: 2', 'count: 1.5'),
      /pools\[0\]\.count: must be a whole number/,
    ],
    ['too many nodes', minimal.replace('count: 2', 'count: 5001'), /pools\[0\]\.count/],
    [
      'missing memory',
      'pools:\n  - name: a\n    capacity: { cpu: 1, pods: 10 }\n',
      /pools\[0\]\.capacity\.memory: is required/,
    ],
    [
      'a bad quantity',
      minimal.replace('memory: 64Gi', 'memory: 64GB'),
      /pools\[0\]\.capacity\["memory"\]: "64GB" is not a Kubernetes quantity/,
    ],
    [
      'a fractional GPU',
      poolWith('').replace('nvidia.com/gpu: "1"', 'nvidia.com/gpu: "0.5"'),
      /capacity\["nvidia.com\/gpu"\]: 0\.5: extended resources must be whole numbers/,
    ],
    [
      'allocatable above capacity',
      poolWith('    allocatable: { cpu: "9", memory: 32Gi, pods: "110", nvidia.com/gpu: "1" }\n'),
      /pools\[0\]\.allocatable\["cpu"\]: 9 is more than capacity 8/,
    ],
    [
      'allocatable missing a GPU',
      poolWith('    allocatable: { cpu: "8", memory: 32Gi, pods: "110" }\n'),
      /pools\[0\]\.allocatable\["nvidia.com\/gpu"\]: is missing; the scheduler only counts allocatable/,
    ],
    [
      'allocatable without capacity',
      poolWith(
        '    allocatable: { cpu: "8", memory: 32Gi, pods: "110", nvidia.com/gpu: "1", amd.com/gpu: "1" }\n',
      ),
      /allocatable\["amd.com\/gpu"\]: has no matching capacity/,
    ],
    [
      'a bad label key',
      poolWith('    labels: { "bad key": x }\n'),
      /pools\[0\]\.labels\["bad key"\]: label key name part must start and end/,
    ],
    [
      'a bad label value',
      poolWith('    labels: { a: "has space" }\n'),
      /pools\[0\]\.labels\["a"\]: value "has space" must be empty or start/,
    ],
    [
      'a reserved label',
      poolWith('    labels: { kubernetes.io/hostname: x }\n'),
      /labels\["kubernetes.io\/hostname"\]: is set by the launcher/,
    ],
    [
      'a bad taint effect',
      poolWith('    taints: [{ key: nvidia.com/gpu, effect: NoScheduling }]\n'),
      /pools\[0\]\.taints\[0\]\.effect: "NoScheduling" is not one of NoSchedule, PreferNoSchedule, NoExecute/,
    ],
    [
      'taints not a list',
      poolWith('    taints: { key: a }\n'),
      /pools\[0\]\.taints: must be a list, not a mapping/,
    ],
    [
      'duplicate names',
      `${minimal}  - name: cpu\n    capacity: { cpu: 1, memory: 1Gi, pods: 1 }\n`,
      /pools\[1\]\.name: "cpu" is used by another pool/,
    ],
    ['no nodes at all', minimal.replace('count: 2', 'count: 0'), /pools: every pool has count 0/],
  ];
  for (const [name, text, message] of cases)
    test(`refuses ${name}, naming the field`, () => rejects(text, message));
});

describe('the committed pool files', () => {
  test('default.yaml has the pools the tests and the operator rely on', async () => {
    const { pools } = await loadPools('default');
    const byName = Object.fromEntries(pools.map((p) => [p.name, p]));
    assert.deepEqual(
      pools.map((p) => [p.name, p.count]),
      [
        ['nvidia-l4', 2],
        ['nvidia-h100', 1],
        ['geforce-rtx', 1],
        ['amd-w7900', 2],
        ['cpu', 3],
      ],
    );
    const l4 = byName['nvidia-l4']!;
    assert.equal(l4.allocatable['nvidia.com/gpu'], '4');
    assert.equal(l4.labels['nvidia.com/gpu.product'], 'NVIDIA-L4');
    assert.equal(l4.labels['nvidia.com/gpu.count'], '4');
    assert.equal(l4.labels['nvidia.com/gpu.family'], 'ada-lovelace');
    assert.deepEqual(l4.taints, [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }]);
    assert.equal(byName['nvidia-h100']!.labels['nvidia.com/gpu.product'], 'NVIDIA-H100-80GB-HBM3');
    assert.equal(byName['nvidia-h100']!.allocatable['nvidia.com/gpu'], '8');
    assert.equal(byName['geforce-rtx']!.allocatable['nvidia.com/gpu'], '1');
    assert.match(byName['geforce-rtx']!.labels['nvidia.com/gpu.product']!, /^NVIDIA-GeForce-RTX-/);
    const amd = byName['amd-w7900']!;
    assert.equal(amd.allocatable['amd.com/gpu'], '2');
    for (const label of ['family', 'device-id', 'product-name', 'vram'])
      assert.ok(amd.labels[`amd.com/gpu.${label}`], label);
    assert.ok(Object.keys(byName.cpu!.capacity).every((r) => !r.includes('gpu')));
  });

  test('bench-200.yaml asks for 200 nodes', async () => {
    const { pools } = await loadPools('bench-200');
    assert.equal(renderNodes(pools).length, 200);
  });

  test('a pool file is found by name or by path', () => {
    assert.match(resolvePoolsPath('default'), /localcluster\/pools\/default\.yaml$/);
    assert.equal(resolvePoolsPath('/tmp/x.yaml'), '/tmp/x.yaml');
    assert.throws(() => resolvePoolsPath('Not A Name'), /not a pool file name/);
  });

  test('a missing pool file says where names are looked up', async () => {
    await assert.rejects(
      loadPools('no-such-pools'),
      /no-such-pools\.yaml cannot be read \(ENOENT\); name one in .*localcluster\/pools/,
    );
  });
});

describe('renderNodes', () => {
  test('names nodes <pool>-<n>, marks them for kwok and keeps status as given', () => {
    const pools = parsePools(
      poolWith(
        '    count: 2\n    labels: { nvidia.com/gpu.product: NVIDIA-L4 }\n    taints: [{ key: nvidia.com/gpu, effect: NoSchedule }]\n',
      ),
      'f',
    );
    const nodes = renderNodes(pools);
    assert.deepEqual(
      nodes.map((n) => n.metadata.name),
      ['gpu-0', 'gpu-1'],
    );
    assert.deepEqual(nodes[1], {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'gpu-1',
        labels: {
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/os': 'linux',
          type: 'kwok',
          'nvidia.com/gpu.product': 'NVIDIA-L4',
          'kubernetes.io/hostname': 'gpu-1',
          'livestream-operator.io/pool': 'gpu',
        },
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      },
      spec: { taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }] },
      status: {
        capacity: { cpu: '8', memory: '32Gi', pods: '110', 'nvidia.com/gpu': '1' },
        allocatable: { cpu: '8', memory: '32Gi', pods: '110', 'nvidia.com/gpu': '1' },
      },
    });
  });

  test('a pool without taints renders no taints field, and nodes do not share objects', () => {
    const nodes = renderNodes(parsePools(minimal, 'f'));
    assert.deepEqual(nodes[0]!.spec, {});
    nodes[0]!.status.capacity.cpu = '1';
    assert.equal(nodes[1]!.status.capacity.cpu, '16');
  });
});
