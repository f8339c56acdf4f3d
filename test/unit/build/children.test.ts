// The desired children of a LiveStream: golden YAML for the CPU example and an NVIDIA placement,
// and tables for what changes with the spec. UPDATE_GOLDEN=1 rewrites the golden files.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject, V1ConfigMap, V1Deployment, V1Service } from '@kubernetes/client-node';
import { format, resolveConfig } from 'prettier';
import { parse, stringify } from 'yaml';
import type { LiveStream, TranscodeProfile } from '../../../operator/api/v1alpha1/index.js';
import {
  CONFIG_HASH_ANNOTATION,
  childLabels,
  desiredChildren,
  names,
  playTokenSecret,
  streamKeySecret,
  type BuildContext,
} from '../../../operator/build/index.js';
import { DEFAULT_POLICY, decidePlacement, type Placed } from '../../../operator/placement/index.js';
import type { TranscoderConfig } from '../../../transcoder/config.js';
import { clusterNodes } from '../placement/nodes.js';
import { example, liveStream, lowLatency, preference, seedLadder, suspended } from './fixtures.js';

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), 'golden');

const ctx: BuildContext = {
  images: {
    ingest: 'ghcr.io/livestream-operator/livestream-ingest:0.1.0',
    transcoder: 'ghcr.io/livestream-operator/livestream-transcoder:0.1.0',
  },
  imagePullPolicy: 'IfNotPresent',
  imagePullSecrets: [],
  clusterDomain: 'cluster.local',
  amdDeviceGroups: [44, 109],
};

function place(stream: LiveStream, profile: TranscodeProfile): Placed {
  const result = decidePlacement({ stream, profile, nodes: clusterNodes(), policy: DEFAULT_POLICY });
  assert.ok(result.placed, result.message);
  return result;
}

function children(stream: LiveStream, profile: TranscodeProfile, context: BuildContext = ctx) {
  return desiredChildren(stream, profile, place(stream, profile), context);
}

const asYaml = (objects: KubernetesObject[]) =>
  objects.map((o) => stringify(o, { blockQuote: 'literal', lineWidth: 0 })).join('---\n');

/** Golden files are kept as prettier writes them, so `prettier --check .` passes on them. */
async function golden(file: string, yaml: string) {
  const path = join(goldenDir, file);
  const actual = await format(yaml, { ...(await resolveConfig(path)), parser: 'yaml' });
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, 'utf8'), `${file} differs; UPDATE_GOLDEN=1 rewrites it`);
}

const find = <T extends KubernetesObject>(objects: KubernetesObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata?.name === name) as T | undefined;

const townHall = () => example<LiveStream>('livestream-cpu-only.yaml');
const mainStage = () => example<LiveStream>('livestream-nvidia-with-cpu-fallback.yaml');
const studioB = () => example<LiveStream>('livestream-amd.yaml', (s) => delete s.spec.placement.nodeSelector);
const premium = () => example<LiveStream>('livestream-nvidia-no-fallback.yaml');

describe('golden children', () => {
  test('the CPU example with the low-latency profile', async () => {
    await golden('cpu-only.yaml', asYaml(children(townHall(), lowLatency())));
  });

  test('the NVIDIA example with the seed ladder on the local cluster (L4 or the GeForce, never the H100)', async () => {
    await golden('nvidia.yaml', asYaml(children(mainStage(), seedLadder())));
  });
});

describe('children', () => {
  test('every child is in the stream namespace with the one label map and no owner references', () => {
    for (const object of children(mainStage(), seedLadder())) {
      assert.ok(object.apiVersion && object.kind && object.metadata?.name);
      assert.equal(object.metadata.namespace, 'streams');
      assert.equal(object.metadata.ownerReferences, undefined);
      const component = object.metadata.labels?.['app.kubernetes.io/component'] as 'ingest' | 'transcoder';
      assert.deepEqual(object.metadata.labels, childLabels(mainStage(), component));
    }
  });

  test('pods carry the labels the PodMonitor selects and relabels by; Deployments select by instance and component', () => {
    const objects = children(mainStage(), seedLadder());
    for (const [name, component] of [
      [names.ingest(mainStage()), 'ingest'],
      [names.transcoder(mainStage()), 'transcoder'],
    ] as const) {
      const d = find<V1Deployment>(objects, 'Deployment', name)!;
      assert.deepEqual(d.spec?.template.metadata?.labels, {
        'app.kubernetes.io/name': 'livestream',
        'app.kubernetes.io/instance': 'main-stage',
        'app.kubernetes.io/component': component,
        'app.kubernetes.io/managed-by': 'livestream-operator',
        'livestream-operator.io/stream': 'main-stage',
      });
      assert.deepEqual(d.spec?.selector.matchLabels, {
        'app.kubernetes.io/instance': 'main-stage',
        'app.kubernetes.io/component': component,
      });
      assert.ok(
        d.spec?.template.spec?.containers[0]?.ports?.some(
          (p) => p.name === 'admin' && p.containerPort === 9090,
        ),
      );
    }
  });

  const kinds = (objects: KubernetesObject[]) => objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort();

  const cases: { name: string; stream: LiveStream; placed: boolean; expect: string[] }[] = [
    {
      name: 'running and placed: both Deployments, three Services, the ConfigMap',
      stream: townHall(),
      placed: true,
      expect: [
        'ConfigMap/town-hall-transcoder',
        'Deployment/town-hall-ingest',
        'Deployment/town-hall-transcoder',
        'Service/town-hall-ingest',
        'Service/town-hall-ingest-internal',
        'Service/town-hall-playback',
      ],
    },
    {
      name: 'not placed: no transcoder Deployment, the ingest stays',
      stream: townHall(),
      placed: false,
      expect: [
        'ConfigMap/town-hall-transcoder',
        'Deployment/town-hall-ingest',
        'Service/town-hall-ingest',
        'Service/town-hall-ingest-internal',
        'Service/town-hall-playback',
      ],
    },
    {
      name: 'suspended: no Deployments, Services and ConfigMap kept',
      stream: example<LiveStream>('livestream-cpu-only.yaml', suspended),
      placed: true,
      expect: [
        'ConfigMap/town-hall-transcoder',
        'Service/town-hall-ingest',
        'Service/town-hall-ingest-internal',
        'Service/town-hall-playback',
      ],
    },
  ];
  for (const c of cases)
    test(c.name, () => {
      const placement = c.placed ? place(c.stream, lowLatency()) : undefined;
      assert.deepEqual(kinds(desiredChildren(c.stream, lowLatency(), placement, ctx)), c.expect);
    });

  test('rtmps: the Service publishes 443 to the rtmps port, the ingest mounts the TLS Secret', () => {
    const objects = children(studioB(), seedLadder());
    const svc = find<V1Service>(objects, 'Service', 'studio-b-ingest')!;
    assert.deepEqual(svc.spec?.ports, [{ name: 'rtmps', port: 443, targetPort: 'rtmps', protocol: 'TCP' }]);
    const pod = find<V1Deployment>(objects, 'Deployment', 'studio-b-ingest')!.spec!.template.spec!;
    const container = pod.containers[0]!;
    assert.ok(container.args?.includes('--tls-cert-file=/etc/livestream/tls/tls.crt'));
    assert.ok(container.args?.includes('--tls-key-file=/etc/livestream/tls/tls.key'));
    assert.ok(container.ports?.some((p) => p.name === 'rtmps' && p.containerPort === 1936));
    assert.equal(pod.volumes?.find((v) => v.name === 'tls')?.secret?.secretName, 'studio-b-tls');
    assert.equal(pod.volumes?.find((v) => v.name === 'stream-key')?.secret?.secretName, 'studio-b-key');
  });

  test('rtmp: no TLS volume, no rtmps port', () => {
    const pod = find<V1Deployment>(children(townHall(), lowLatency()), 'Deployment', 'town-hall-ingest')!
      .spec!.template.spec!;
    assert.equal(
      pod.volumes?.find((v) => v.name === 'tls'),
      undefined,
    );
    assert.ok(!pod.containers[0]!.ports?.some((p) => p.name === 'rtmps'));
  });

  const serviceCases: {
    name: string;
    stream: () => LiveStream;
    service: string;
    expect: Record<string, unknown>;
  }[] = [
    {
      name: 'NodePort with a fixed node port',
      stream: premium,
      service: 'premium-event-ingest',
      expect: {
        type: 'NodePort',
        ports: [{ name: 'rtmp', port: 1935, targetPort: 'rtmp', protocol: 'TCP', nodePort: 31935 }],
      },
    },
    {
      name: 'LoadBalancer limited to source ranges',
      stream: mainStage,
      service: 'main-stage-ingest',
      expect: { type: 'LoadBalancer', loadBalancerSourceRanges: ['203.0.113.0/24'] },
    },
    {
      name: 'LoadBalancer with annotations and a class',
      stream: () =>
        example<LiveStream>('livestream-amd.yaml', (s) => {
          delete s.spec.placement.nodeSelector;
          s.spec.ingest.service.loadBalancerClass = 'service.k8s.aws/nlb';
        }),
      service: 'studio-b-ingest',
      expect: { type: 'LoadBalancer', loadBalancerClass: 'service.k8s.aws/nlb' },
    },
    {
      name: 'the internal Service is always ClusterIP with RTMP and admin',
      stream: mainStage,
      service: 'main-stage-ingest-internal',
      expect: {
        type: 'ClusterIP',
        ports: [
          { name: 'rtmp', port: 1935, targetPort: 'rtmp', protocol: 'TCP' },
          { name: 'admin', port: 9090, targetPort: 'admin', protocol: 'TCP' },
        ],
      },
    },
    {
      name: 'the playback Service maps spec.output.service.port to the origin',
      stream: () =>
        liveStream(
          's',
          preference('cpu'),
          (s) => (s.spec.output.service = { type: 'NodePort', port: 8000, nodePort: 30080 }),
        ),
      service: 's-playback',
      expect: {
        type: 'NodePort',
        ports: [{ name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP', nodePort: 30080 }],
      },
    },
  ];
  for (const c of serviceCases)
    test(`Service: ${c.name}`, () => {
      const svc = find<V1Service>(children(c.stream(), lowLatency()), 'Service', c.service)!;
      const picked = Object.fromEntries(
        Object.keys(c.expect).map((k) => [k, (svc.spec as Record<string, unknown>)[k]]),
      );
      assert.deepEqual(picked, c.expect);
    });

  test('ingest Service annotations come from the spec', () => {
    const svc = find<V1Service>(children(studioB(), seedLadder()), 'Service', 'studio-b-ingest')!;
    assert.deepEqual(svc.metadata?.annotations, {
      'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
    });
  });

  test('no built object contains the stream key or the play token; they only reference Secrets', () => {
    const key = randomBytes(24).toString('base64url');
    const token = randomBytes(24).toString('base64url');
    const secrets = [streamKeySecret(townHall(), key), playTokenSecret(townHall(), token)];
    const asText = (o: unknown) => JSON.stringify(o);
    assert.ok(
      asText(secrets).includes(Buffer.from(key).toString('base64')),
      'the Secret builder holds the key',
    );
    for (const stream of [townHall(), mainStage(), studioB(), premium()]) {
      const text = asText(children(stream, seedLadder()));
      for (const secret of [key, token])
        for (const form of [secret, Buffer.from(secret).toString('base64')]) assert.ok(!text.includes(form));
      assert.ok(!text.includes('valueFrom'), 'no Secret values in environment variables');
    }
    const pod = find<V1Deployment>(children(townHall(), lowLatency()), 'Deployment', 'town-hall-transcoder')!
      .spec!.template.spec!;
    assert.equal(
      pod.volumes?.find((v) => v.name === 'play-token')?.secret?.secretName,
      'town-hall-play-token',
    );
    assert.ok(
      !pod.volumes?.some((v) => v.secret?.secretName === 'town-hall-stream-key'),
      'the transcoder never sees the key',
    );
  });

  test('the Secrets: generated key in <name>-stream-key, token in <name>-play-token', () => {
    const key = streamKeySecret(townHall(), 'k'.repeat(32));
    const token = playTokenSecret(townHall(), 't'.repeat(32));
    assert.equal(key.metadata?.name, 'town-hall-stream-key');
    assert.deepEqual(Object.keys(key.data ?? {}), ['streamKey']);
    assert.equal(token.metadata?.name, 'town-hall-play-token');
    assert.deepEqual(Object.keys(token.data ?? {}), ['token']);
    assert.equal(Buffer.from(token.data!.token!, 'base64').toString(), 't'.repeat(32));
  });

  test('data-plane pods are non-root, read-only, without capabilities or API token', () => {
    for (const o of children(mainStage(), seedLadder()).filter((o) => o.kind === 'Deployment')) {
      const pod = (o as V1Deployment).spec!.template.spec!;
      assert.equal(pod.automountServiceAccountToken, false);
      assert.equal(pod.securityContext?.runAsNonRoot, true);
      assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault');
      for (const c of pod.containers) {
        assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
        assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
        assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL']);
        assert.equal(c.securityContext?.runAsUser, 65532);
      }
    }
  });
});

describe('the transcoder', () => {
  const config = (objects: KubernetesObject[], name: string) =>
    parse(
      find<V1ConfigMap>(objects, 'ConfigMap', `${name}-transcoder`)!.data!['transcoder.yaml']!,
    ) as TranscoderConfig;

  test('its config: pull and status URLs on the internal Service, bitrates in bits, the play token file', () => {
    const c = config(children(townHall(), lowLatency()), 'town-hall');
    assert.deepEqual(c.ingest, {
      pullUrl: 'rtmp://town-hall-ingest-internal.streams.svc.cluster.local:1935/live/stream',
      statusUrl: 'http://town-hall-ingest-internal.streams.svc.cluster.local:9090/status',
      playTokenFile: '/etc/livestream/token/token',
    });
    assert.deepEqual(c.ladder.renditions[0], {
      name: '720p',
      width: 1280,
      height: 720,
      videoBitrate: 2_500_000,
      videoMaxrate: 2_500_000,
      videoBufsize: 1_250_000,
      maxFps: 30,
      audioBitrate: 128_000,
    });
    assert.equal(c.accelerator, 'cpu');
    assert.deepEqual(c.tuning, { x264: { preset: 'ultrafast', tune: 'zerolatency' } });
    assert.deepEqual(c.output, {
      directory: '/var/lib/livestream/output',
      segmentSeconds: 1,
      playlistSize: 6,
      hls: true,
      dash: false,
    });
  });

  const hashOf = (stream: LiveStream, profile: TranscodeProfile) =>
    find<V1Deployment>(children(stream, profile), 'Deployment', names.transcoder(stream))!.spec!.template
      .metadata!.annotations![CONFIG_HASH_ANNOTATION];

  test('a profile change rolls the pod (the config hash changes)', () => {
    const before = hashOf(townHall(), lowLatency());
    const after = hashOf(
      townHall(),
      lowLatency((p) => (p.spec.renditions[0]!.videoBitrateKbps = 2000)),
    );
    assert.notEqual(before, after);
  });

  test("another accelerator's tuning does not roll a CPU stream", () => {
    const before = hashOf(townHall(), lowLatency());
    const after = hashOf(
      townHall(),
      lowLatency((p) => (p.spec.encoders.nvidia.preset = 'p7')),
    );
    assert.equal(before, after);
  });

  test('the placement reaches the pod: GPU limits, affinity, tolerations, runtime class, driver capabilities', () => {
    const stream = mainStage();
    const placement = place(stream, seedLadder());
    const d = find<V1Deployment>(
      desiredChildren(stream, seedLadder(), placement, ctx),
      'Deployment',
      'main-stage-transcoder',
    )!;
    const pod = d.spec!.template.spec!;
    assert.deepEqual(pod.affinity, placement.pod.affinity);
    assert.deepEqual(pod.tolerations, placement.pod.tolerations);
    assert.equal(pod.runtimeClassName, 'nvidia');
    assert.deepEqual(pod.containers[0]!.resources, placement.pod.resources);
    assert.deepEqual(pod.containers[0]!.env, [
      { name: 'NVIDIA_DRIVER_CAPABILITIES', value: 'compute,utility,video' },
    ]);
    assert.deepEqual(pod.containers[0]!.args, ['--config', '/etc/livestream/transcoder/transcoder.yaml']);
  });

  test('NVIDIA placements use the NVENC image when one is configured', () => {
    const nvidiaImage = 'ghcr.io/livestream-operator/livestream-transcoder:0.1.0-nvidia';
    const withNvidia = { ...ctx, images: { ...ctx.images, transcoderNvidia: nvidiaImage } };
    const image = (stream: LiveStream) =>
      find<V1Deployment>(children(stream, seedLadder(), withNvidia), 'Deployment', names.transcoder(stream))!
        .spec!.template.spec!.containers[0]!.image;
    assert.equal(image(mainStage()), nvidiaImage);
    assert.equal(image(townHall()), ctx.images.transcoder);
  });

  test("AMD placements get the render groups from the operator's setting", () => {
    const stream = studioB();
    const pod = find<V1Deployment>(
      children(stream, seedLadder(), { ...ctx, amdDeviceGroups: [39, 105] }),
      'Deployment',
      'studio-b-transcoder',
    )!.spec!.template.spec!;
    assert.deepEqual(pod.securityContext?.supplementalGroups, [39, 105]);
    assert.deepEqual(pod.tolerations, [{ key: 'amd.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  });

  test('the output emptyDir holds the playlist window of every rendition with room to spare', () => {
    const size = (stream: LiveStream, profile: TranscodeProfile) =>
      find<V1Deployment>(
        children(stream, profile),
        'Deployment',
        names.transcoder(stream),
      )!.spec!.template.spec!.volumes!.find((v) => v.name === 'output')!.emptyDir!.sizeLimit;
    // seed ladder peaks 11.565 Mb/s: x 2 s x (6 + 3) segments x 2 = 52 MB, x 2 for DASH = 104 MB = 100Mi.
    // The low-latency ladder needs less than the 64Mi floor.
    assert.equal(size(townHall(), lowLatency()), '64Mi');
    assert.equal(size(mainStage(), seedLadder()), '100Mi');
    const longWindow = liveStream('s', preference('cpu'), (s) => {
      s.spec.output.segmentSeconds = 10;
      s.spec.output.playlistSize = 30;
    });
    assert.equal(size(longWindow, seedLadder()), '910Mi');
  });
});
