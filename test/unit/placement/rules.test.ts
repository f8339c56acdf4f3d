// The rules under decidePlacement: product allow-lists, toleration matching, quantities and the
// sizing model.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tolerates } from '../../../operator/placement/nodes.js';
import {
  NVENC_PRODUCTS,
  VCN_PRODUCTS,
  estimateResources,
  podSize,
  productAllowed,
  quantity,
} from '../../../operator/placement/index.js';
import { hevc, lowLatency, only720p30, seedLadder } from '../build/fixtures.js';

describe('encode-capable products', () => {
  const cases: [string, readonly string[], boolean][] = [
    ['NVIDIA-L4', NVENC_PRODUCTS, true],
    ['NVIDIA-L40S', NVENC_PRODUCTS, true],
    ['Tesla-T4', NVENC_PRODUCTS, true],
    ['NVIDIA-A10G', NVENC_PRODUCTS, true],
    ['NVIDIA-GeForce-RTX-4090', NVENC_PRODUCTS, true],
    ['Quadro-RTX-6000', NVENC_PRODUCTS, true],
    ['NVIDIA-RTX-A6000', NVENC_PRODUCTS, true],
    ['NVIDIA-H100-80GB-HBM3', NVENC_PRODUCTS, false],
    ['NVIDIA-H200', NVENC_PRODUCTS, false],
    ['NVIDIA-A100-SXM4-40GB', NVENC_PRODUCTS, false],
    ['NVIDIA-A30', NVENC_PRODUCTS, false],
    ['AMD_Radeon_PRO_W7900', VCN_PRODUCTS, true],
    ['AMD_Radeon_Pro_V620_MxGPU', VCN_PRODUCTS, true],
    ['AMD_Instinct_MI300X', VCN_PRODUCTS, false],
  ];
  for (const [product, list, allowed] of cases)
    test(`${product} is ${allowed ? '' : 'not '}encode-capable by default`, () => {
      assert.equal(productAllowed(product, list), allowed);
    });

  test('a list word must be a whole word of the label: L4 does not match L40S, A10 not A100', () => {
    assert.equal(productAllowed('NVIDIA-L40S', ['L4']), false);
    assert.equal(productAllowed('NVIDIA-A100-PCIE-40GB', ['A10']), false);
    assert.equal(productAllowed('nvidia-l4', ['L4']), true, 'case does not matter');
  });

  test('an entry of several words matches consecutive words', () => {
    assert.equal(productAllowed('NVIDIA-RTX-A4000', ['RTX-A4000']), true);
    assert.equal(productAllowed('NVIDIA-A4000-RTX', ['RTX-A4000']), false);
  });
});

describe('tolerations', () => {
  const taint = { key: 'dedicated', value: 'streaming', effect: 'NoSchedule' };
  const cases: [string, Parameters<typeof tolerates>[0], boolean][] = [
    ['Equal with the same value', { key: 'dedicated', operator: 'Equal', value: 'streaming' }, true],
    ['Equal with another value', { key: 'dedicated', operator: 'Equal', value: 'batch' }, false],
    ['Exists on the key', { key: 'dedicated', operator: 'Exists' }, true],
    ['another effect', { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, false],
    ['Exists without a key tolerates everything', { operator: 'Exists' }, true],
    ['another key', { key: 'gpu', operator: 'Exists' }, false],
  ];
  for (const [name, toleration, expected] of cases)
    test(`${name}: ${expected ? 'tolerated' : 'not tolerated'}`, () => {
      assert.equal(tolerates(toleration, taint), expected);
    });
});

describe('quantities', () => {
  test('cpu, memory and device counts in their usual forms', () => {
    assert.equal(quantity('47810m'), 47.81);
    assert.equal(quantity('4'), 4);
    assert.equal(quantity('181Gi'), 181 * 2 ** 30);
    assert.equal(quantity('1e3'), 1000);
    assert.equal(quantity('64M'), 64e6);
    assert.equal(quantity(undefined), 0);
    assert.equal(quantity('lots'), 0);
  });
});

describe('sizing one stream', () => {
  test('libx264 veryfast 720p30 requests about one core (the measured anchor with 1.5x headroom)', () => {
    const size = podSize(seedLadder(only720p30), 'cpu');
    assert.ok(size.cpu >= 0.9 && size.cpu <= 1.2, `${size.cpu} cores`);
  });

  test('a slower preset, a higher frame rate and hevc each cost more', () => {
    const base = podSize(seedLadder(only720p30), 'cpu').cpu;
    const medium = podSize(
      seedLadder(only720p30, (p) => (p.spec.encoders.cpu.preset = 'medium')),
      'cpu',
    ).cpu;
    const sixty = podSize(
      seedLadder(only720p30, (p) => (p.spec.renditions[0]!.maxFps = 60)),
      'cpu',
    ).cpu;
    const x265 = podSize(seedLadder(only720p30, hevc), 'cpu').cpu;
    assert.ok(
      medium > 1.5 * base && sixty > 1.5 * base && x265 > 2.5 * base,
      `${base} ${medium} ${sixty} ${x265}`,
    );
  });

  test('lookahead (a tune other than zerolatency) costs memory', () => {
    const zerolatency = podSize(seedLadder(only720p30), 'cpu').memory;
    const film = podSize(
      seedLadder(only720p30, (p) => (p.spec.encoders.cpu.tune = 'film')),
      'cpu',
    ).memory;
    assert.ok(film > zerolatency);
  });

  test('the figures TranscodeProfile status shows for the seed ladder', () => {
    assert.deepEqual(estimateResources(seedLadder()), {
      nvidia: { cpu: '650m', memory: '320Mi', gpus: 1, encoderSessions: 4 },
      amd: { cpu: '650m', memory: '320Mi', gpus: 1, encoderSessions: 4 },
      cpu: { cpu: '6900m', memory: '448Mi', gpus: 0 },
    });
  });

  test('the low-latency ladder (ultrafast, 30 fps) fits well under a core on CPU', () => {
    assert.deepEqual(estimateResources(lowLatency()).cpu, { cpu: '800m', memory: '320Mi', gpus: 0 });
  });
});
