// The CRDs against a real kube-apiserver: the examples apply, kubectl explain reads well, every
// case of the invalid corpus (invalid.yaml) is refused naming its field, valid edge cases are
// accepted and defaulted as docs/api.md says, and the status subresource feeds the columns.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { useCluster, type TestCluster } from '../../../localcluster/src/testing.js';
import { applyEdit, type Edit, type Json } from './manifest.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const examplesDir = join(root, 'examples');
const exampleFiles = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const example = (file: string) => parse(readFileSync(join(examplesDir, file), 'utf8')) as Json;

interface InvalidCase extends Edit {
  case: string;
  base: string;
  before?: Edit;
  field: string;
  message: string;
}
const invalidCases = parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'invalid.yaml'), 'utf8'),
) as InvalidCase[];

let cluster: TestCluster;
const namespace = `api-test-${process.pid}`;

async function kubectl(args: string[], input?: string) {
  return cluster.kubectl(args, { input, timeoutMs: 60_000 });
}

/** Runs kubectl and fails the test with its stderr when it exits non-zero. */
async function kubectlOk(args: string[], input?: string): Promise<string> {
  const result = await kubectl(args, input);
  assert.equal(result.code, 0, `kubectl ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

const getJson = async (resource: string, name: string) =>
  JSON.parse(await kubectlOk(['get', '-n', namespace, resource, name, '-o', 'json'])) as {
    metadata: { generation: number };
    spec: Json;
  };

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
});

after(async () => {
  if (!cluster) return;
  await kubectl(['delete', 'namespace', namespace, '--wait=false']);
  await cluster.stop();
});

describe('examples', () => {
  test('every example applies cleanly, and applying it again changes nothing', async () => {
    assert.ok(exampleFiles.length >= 6, 'examples/ holds the profiles and streams the issue asks for');
    const out = await kubectlOk(['apply', '-n', namespace, '-f', examplesDir]);
    assert.equal(out.trim().split('\n').length, exampleFiles.length, out);
    assert.match(out, /transcodeprofile\.livestream-operator\.io\/seed-ladder created/);
    // kubectl diff exits 0 when the live objects already match (server-side defaults included).
    await kubectlOk(['diff', '-n', namespace, '-f', examplesDir]);
    const again = await kubectlOk([
      'apply',
      '--server-side',
      '--dry-run=server',
      '-n',
      namespace,
      '-f',
      examplesDir,
    ]);
    assert.equal(again.trim().split('\n').length, exampleFiles.length);
  });

  test('the short names and the streaming category list them', async () => {
    const byCategory = await kubectlOk(['get', 'streaming', '-n', namespace, '-o', 'name']);
    assert.match(byCategory, /livestream\.livestream-operator\.io\/main-stage/);
    assert.match(byCategory, /transcodeprofile\.livestream-operator\.io\/low-latency/);
    for (const short of ['ls', 'lstream', 'tp', 'tprofile']) {
      await kubectlOk(['get', short, '-n', namespace]);
    }
    // No other resource on the server claims these short names.
    const resources = await kubectlOk(['api-resources', '--no-headers']);
    for (const short of ['ls', 'lstream', 'tp', 'tprofile']) {
      const claims = resources.split('\n').filter((line) => line.split(/\s+/)[1]?.split(',').includes(short));
      assert.equal(claims.length, 1, `short name ${short} is claimed by: ${claims.join(' | ')}`);
    }
  });
});

describe('kubectl explain', () => {
  test('livestream.spec lists every field with a description', async () => {
    const out = await kubectlOk(['explain', 'livestream.spec']);
    for (const field of ['profileRef', 'suspend', 'ingest', 'placement', 'output']) {
      assert.match(out, new RegExp(`^  ${field}\\s+<`, 'm'), `explain lists ${field}`);
    }
    assert.match(out, /profileRef\s+<Object> -required-/);
    assert.match(out, /The TranscodeProfile \(in this namespace\)/);
  });

  test('nested fields explain their defaults, units and allowed values', async () => {
    const placement = await kubectlOk(['explain', 'livestream.spec.placement']);
    assert.match(placement, /acceleratorPreference\s+<\[\]string>/);
    assert.match(placement, /Default: \[nvidia, amd,\s+cpu\]/);
    assert.match(placement, /allowCpuFallback[\s\S]*Default: true/);
    const protocol = await kubectlOk(['explain', 'ls.spec.ingest.protocol']);
    assert.match(protocol, /ENUM:\s+rtmp\s+rtmps/);
    const bitrate = await kubectlOk(['explain', 'tp.spec.renditions.videoBitrateKbps']);
    assert.match(bitrate, /kilobits per second/);
    const status = await kubectlOk(['explain', 'livestream.status.ingest.url']);
    assert.match(status, /never appears here/);
  });
});

describe('invalid manifests are refused with the offending field named', { concurrency: 4 }, () => {
  test('the corpus has at least 40 cases, each based on an example', () => {
    assert.ok(invalidCases.length >= 40, `${invalidCases.length} cases`);
    for (const c of invalidCases) assert.ok(exampleFiles.includes(c.base), `${c.case}: no example ${c.base}`);
  });

  invalidCases.forEach((c, index) => {
    test(c.case, async () => {
      // Each case gets a name of its own (unless the name is what it tests), so none collides with
      // the examples created above: the server would answer AlreadyExists instead of validating.
      const base = applyEdit(example(c.base), {
        set: {
          'metadata.name': `case-${index}-${(example(c.base) as { metadata: { name: string } }).metadata.name}`,
        },
      });
      let manifest = applyEdit(base, c);
      let verb = ['create', '--dry-run=server'];
      if (c.before) {
        // An update: create the "before" object for real, then change it.
        const original = applyEdit(base, c.before);
        await kubectlOk(['create', '-n', namespace, '-f', '-'], stringify(original));
        manifest = applyEdit(original, c);
        verb = ['replace', '--dry-run=server'];
      }
      const result = await kubectl([...verb, '-n', namespace, '-f', '-'], stringify(manifest));
      assert.notEqual(result.code, 0, `accepted, but should be refused:\n${stringify(manifest)}`);
      assert.match(
        result.stderr,
        new RegExp(`${escapeRegExp(c.field)}(:|")`),
        `the error should name ${c.field}:\n${result.stderr}`,
      );
      assert.ok(result.stderr.includes(c.message), `the error should say "${c.message}":\n${result.stderr}`);
    });
  });
});

describe('valid edge cases are accepted and defaulted as documented', () => {
  test('a minimal TranscodeProfile gets every documented default', async () => {
    const minimal = {
      apiVersion: 'livestream-operator.io/v1alpha1',
      kind: 'TranscodeProfile',
      metadata: { name: 'minimal' },
      spec: { renditions: [{ name: '720p', width: 1280, height: 720, videoBitrateKbps: 3000 }] },
    };
    await kubectlOk(['create', '-n', namespace, '-f', '-'], stringify(minimal));
    const { spec } = await getJson('transcodeprofile', 'minimal');
    assert.deepEqual(spec, {
      video: { codec: 'h264', gopSeconds: 2 },
      audio: { codec: 'aac', sampleRateHz: 48000, channels: 2 },
      renditions: [{ name: '720p', width: 1280, height: 720, videoBitrateKbps: 3000, audioBitrateKbps: 128 }],
      passthrough: { enabled: false, name: 'source' },
      encoders: {
        cpu: { preset: 'veryfast', tune: 'zerolatency' },
        nvidia: { preset: 'p4', tune: 'll' },
        amd: { api: 'vaapi', quality: 'balanced' },
      },
      limits: { maxWidth: 3840, maxHeight: 2160, maxFps: 60 },
    });
  });

  test('a minimal LiveStream (only profileRef) gets every documented default', async () => {
    const minimal = {
      apiVersion: 'livestream-operator.io/v1alpha1',
      kind: 'LiveStream',
      metadata: { name: 'minimal' },
      spec: { profileRef: { name: 'minimal' } },
    };
    await kubectlOk(['create', '-n', namespace, '-f', '-'], stringify(minimal));
    const { spec } = await getJson('livestream', 'minimal');
    assert.deepEqual(spec, {
      profileRef: { name: 'minimal' },
      suspend: false,
      ingest: { protocol: 'rtmp', service: { type: 'ClusterIP' } },
      placement: {
        acceleratorPreference: ['nvidia', 'amd', 'cpu'],
        allowCpuFallback: true,
        releaseGpuWhenIdle: false,
        idleSeconds: 300,
      },
      output: {
        segmentSeconds: 2,
        playlistSize: 6,
        hls: { enabled: true },
        dash: { enabled: false },
        service: { type: 'ClusterIP', port: 80 },
      },
    });
  });

  test('a profile at every upper bound is accepted', async () => {
    const rung = (i: number) => ({
      name: `r${i}-${'x'.repeat(29)}`.slice(0, 32),
      width: 7680,
      height: 4320,
      videoBitrateKbps: 100000,
      videoMaxrateKbps: 150000,
      videoBufsizeKbit: 1500000,
      maxFps: 120,
      audioBitrateKbps: 512,
    });
    const profile = {
      apiVersion: 'livestream-operator.io/v1alpha1',
      kind: 'TranscodeProfile',
      metadata: { name: 'largest' },
      spec: {
        video: { codec: 'hevc', gopSeconds: 10 },
        renditions: Array.from({ length: 8 }, (_, i) => rung(i)),
        passthrough: { enabled: true },
        limits: { maxWidth: 7680, maxHeight: 4320, maxFps: 120 },
      },
    };
    await kubectlOk(['create', '-n', namespace, '-f', '-'], stringify(profile));
    const { spec } = await getJson('tp', 'largest');
    assert.equal((spec as { renditions: unknown[] }).renditions.length, 8);
  });

  test('bounds that CEL rules draw are inclusive', async () => {
    const base = example('transcodeprofile-low-latency.yaml');
    const edges = applyEdit(base, {
      set: {
        'metadata.name': 'edges',
        // exactly 0.5 s and exactly 10 s of buffer at the peak bitrate
        'spec.renditions[0].videoBufsizeKbit': 1250,
        'spec.renditions[1].videoBufsizeKbit': 7000,
        // h264 at 4096 pixels, the most it allows, inside raised limits
        'spec.renditions[0].width': 4096,
        'spec.renditions[0].height': 2160,
        'spec.renditions[0].videoBitrateKbps': 2500,
        'spec.limits': { maxWidth: 4096, maxHeight: 2160, maxFps: 30 },
      },
    });
    await kubectlOk(['create', '--dry-run=server', '-n', namespace, '-f', '-'], stringify(edges));
  });

  test('preference lists that do not contradict allowCpuFallback: false are accepted', async () => {
    const base = example('livestream-nvidia-no-fallback.yaml');
    for (const preference of [['cpu'], ['cpu', 'nvidia'], ['nvidia', 'amd']]) {
      const stream = applyEdit(base, {
        set: {
          'metadata.name': `pref-${preference.join('-')}`,
          'spec.placement.acceleratorPreference': preference,
        },
      });
      await kubectlOk(['create', '--dry-run=server', '-n', namespace, '-f', '-'], stringify(stream));
    }
  });

  test('a 52-character name, 16 tolerations and every Service option are accepted', async () => {
    const name = `s${'x'.repeat(51)}`;
    const stream = applyEdit(example('livestream-nvidia-with-cpu-fallback.yaml'), {
      set: {
        'metadata.name': name,
        'spec.placement.tolerations': Array.from({ length: 16 }, (_, i) => ({
          key: `pool-${i}`,
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 30,
        })),
        'spec.ingest.service.loadBalancerClass': 'example.com/lb',
        'spec.ingest.service.nodePort': 32767,
        'spec.ingest.service.annotations': { 'example.com/a': 'b' },
        'spec.ingest.service.loadBalancerSourceRanges': ['203.0.113.0/24', '2001:db8::/32'],
        'spec.ingest.streamKeySecretRef': { name: 'my-key' },
      },
    });
    await kubectlOk(['create', '-n', namespace, '-f', '-'], stringify(stream));
    const { spec } = await getJson('ls', name);
    assert.deepEqual((spec as { ingest: { streamKeySecretRef: Json } }).ingest.streamKeySecretRef, {
      name: 'my-key',
      key: 'streamKey',
    });
  });

  test('profileRef may change, and loadBalancerClass may go once the Service is no longer a LoadBalancer', async () => {
    const original = applyEdit(example('livestream-nvidia-with-cpu-fallback.yaml'), {
      set: { 'metadata.name': 'mutable', 'spec.ingest.service.loadBalancerClass': 'example.com/lb-a' },
    });
    await kubectlOk(['create', '-n', namespace, '-f', '-'], stringify(original));
    const changed = applyEdit(original, {
      set: { 'spec.profileRef.name': 'low-latency', 'spec.ingest.service.type': 'ClusterIP' },
      unset: ['spec.ingest.service.loadBalancerClass', 'spec.ingest.service.loadBalancerSourceRanges'],
    });
    await kubectlOk(['replace', '-n', namespace, '-f', '-'], stringify(changed));
    const { spec, metadata } = await getJson('ls', 'mutable');
    assert.equal((spec as { profileRef: { name: string } }).profileRef.name, 'low-latency');
    assert.equal(metadata.generation, 2);
  });
});

describe('status subresource', () => {
  const status = {
    observedGeneration: 1,
    conditions: [
      {
        type: 'Ready',
        status: 'False',
        reason: 'WaitingForPublisher',
        message: 'Nobody publishes to rtmp://198.19.0.10:1935/live yet',
        lastTransitionTime: '2026-01-01T00:00:00Z',
        observedGeneration: 1,
      },
      {
        type: 'AcceleratorFallback',
        status: 'True',
        reason: 'NoEncoderCapacity',
        message: 'No NVIDIA GPU with NVENC has room; running on CPU',
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ],
    ingest: {
      state: 'Waiting',
      url: 'rtmp://198.19.0.10:1935/live',
      streamKeySecretRef: { name: 'town-hall-stream-key', key: 'streamKey' },
    },
    playback: { hlsUrl: 'http://198.19.0.11/master.m3u8' },
    placement: { accelerator: 'cpu', encoder: 'libx264', node: 'cpu-0', reason: 'FellBackToCpu' },
    live: {
      transcoderSpeed: 1.02,
      fps: 29.97,
      renditions: [{ name: '720p', state: 'Encoding', bitrateKbps: 2480, segmentAgeSeconds: 0.8 }],
    },
  };

  test('the operator-written status shape is accepted and shown by kubectl get', async () => {
    await kubectlOk([
      'patch',
      '-n',
      namespace,
      'livestream',
      'town-hall',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status }),
    ]);
    const table = await kubectlOk(['get', '-n', namespace, 'ls', 'town-hall', '-o', 'wide']);
    const [header, row] = table.trim().split('\n');
    assert.match(
      header!,
      /^NAME\s+READY\s+REASON\s+ACCELERATOR\s+INGEST\s+AGE\s+PROFILE\s+INGEST URL\s+PLAYBACK URL$/,
    );
    assert.match(
      row!,
      /^town-hall\s+False\s+WaitingForPublisher\s+cpu\s+Waiting\s+\S+\s+low-latency\s+rtmp:\/\/198\.19\.0\.10:1935\/live\s+http:\/\/198\.19\.0\.11\/master\.m3u8$/,
    );
    const narrow = await kubectlOk(['get', '-n', namespace, 'ls', 'town-hall']);
    assert.doesNotMatch(narrow, /rtmp:/, 'URLs appear only with -o wide');
    const { metadata } = await getJson('ls', 'town-hall');
    assert.equal(metadata.generation, 1, 'a status write does not bump the generation');
  });

  test('a status that breaks its schema is refused too', async () => {
    const result = await kubectl([
      'patch',
      '-n',
      namespace,
      'livestream',
      'town-hall',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { placement: { accelerator: 'tpu' } } }),
    ]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /status\.placement\.accelerator: Unsupported value: "tpu"/);
  });
});
