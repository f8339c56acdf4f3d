// The real operator against the real local control plane (kwok nodes: 2 x 4 L4, 1 x 8 H100, one
// GeForce, 2 x 2 AMD W7900, 3 CPU): the examples become children with owner references and status;
// GPUs filled -> CPU fallback; fallback off -> Stalled; a profile created later is picked up; a
// profile change rolls the transcoder; suspend releases the workloads; delete garbage-collects; a
// restart writes nothing; the stream key appears nowhere but its Secret.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import YAML from 'yaml';
import { useCluster, type TestCluster } from '../../../localcluster/src/testing.js';
import type { LiveStream } from '../../../operator/api/v1alpha1/index.js';
import { repoRoot } from '../../../tools/chart/generate.js';
import { sleep, until } from '../support/processes.js';
import {
  condition,
  installCrds,
  kubectlJson,
  startOperator,
  waitFor,
  type RunningOperator,
} from './support.js';

const ns = `op-${randomBytes(3).toString('hex')}`;
const examples = path.join(repoRoot, 'examples');

interface Obj {
  metadata: {
    name: string;
    resourceVersion: string;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
    annotations?: Record<string, string>;
  };
  spec?: { template?: { metadata?: { annotations?: Record<string, string> } } };
}

describe('livestream-operator on the local cluster', () => {
  let cluster: TestCluster;
  let op: RunningOperator;
  let json: <T>(args: string[]) => Promise<T>;
  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const r = await cluster.kubectl(args, { input, timeoutMs: 60_000 });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const stream = (name: string) => json<LiveStream>(['-n', ns, 'get', 'livestream', name]);
  const exists = async (kind: string, name: string) =>
    (await cluster.kubectl(['-n', ns, 'get', kind, name])).code === 0;
  const operatorArgs = [
    `--watch-namespaces=${ns}`,
    '--live-status-interval=2s',
    '--resync-period=15s',
    '--log-level=debug',
  ];

  before(async () => {
    cluster = await useCluster();
    json = kubectlJson(cluster);
    await installCrds(cluster);
    await kubectl(['create', 'namespace', ns]);
    // The example asks for runtimeClassName: nvidia (the NVIDIA Container Toolkit's runtime class).
    await cluster.kubectl(['apply', '-f', '-'], {
      input: YAML.stringify({
        apiVersion: 'node.k8s.io/v1',
        kind: 'RuntimeClass',
        metadata: { name: 'nvidia' },
        handler: 'nvidia',
      }),
    });
    op = await startOperator(cluster, 'operator', operatorArgs);
  });

  after(async () => {
    await op?.proc.stop();
    await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
    await cluster?.stop();
  });

  test('the examples get their children, owned by the LiveStream, and kubectl wait --for=condition=Ready returns', async () => {
    for (const f of [
      'transcodeprofile-seed-ladder.yaml',
      'transcodeprofile-low-latency.yaml',
      'livestream-cpu-only.yaml',
      'livestream-nvidia-with-cpu-fallback.yaml',
    ])
      await kubectl(['-n', ns, 'apply', '-f', path.join(examples, f)]);
    await kubectl([
      '-n',
      ns,
      'wait',
      '--for=condition=Ready',
      '--timeout=60s',
      'livestream/town-hall',
      'livestream/main-stage',
    ]);
    for (const [kind, name] of [
      ['deployment', 'main-stage-ingest'],
      ['deployment', 'main-stage-transcoder'],
      ['service', 'main-stage-ingest'],
      ['service', 'main-stage-playback'],
      ['configmap', 'main-stage-transcoder'],
      ['secret', 'main-stage-stream-key'],
      ['secret', 'main-stage-play-token'],
    ] as const) {
      const o = await json<Obj>(['-n', ns, 'get', kind, name]);
      const ref = o.metadata.ownerReferences?.find((r) => r.controller);
      assert.deepEqual(
        [ref?.kind, ref?.name],
        ['LiveStream', 'main-stage'],
        `${kind}/${name} is owned by its LiveStream`,
      );
    }
    const managers = await kubectl([
      '-n',
      ns,
      'get',
      'deployment',
      'main-stage-transcoder',
      '-o',
      'jsonpath={.metadata.managedFields[*].manager}',
      '--show-managed-fields',
    ]);
    assert.match(managers, /livestream-operator/);
  });

  test('the NVIDIA stream runs on an NVENC-capable GPU (never the H100); the CPU stream on a CPU node', async () => {
    const ls = await waitFor(
      () => stream('main-stage'),
      'main-stage placed on a node',
      (l) => !!l.status?.placement?.node,
    );
    assert.equal(ls.status?.placement?.accelerator, 'nvidia');
    assert.equal(ls.status?.placement?.encoder, 'h264_nvenc');
    assert.doesNotMatch(ls.status!.placement!.node!, /h100/);
    assert.match(ls.status!.placement!.gpuProduct!, /L4|GeForce/);
    assert.equal(condition(ls, 'AcceleratorFallback')?.status, 'False');
    const cpu = await waitFor(
      () => stream('town-hall'),
      'town-hall placed',
      (l) => !!l.status?.placement?.node,
    );
    assert.equal(cpu.status?.placement?.accelerator, 'cpu');
    assert.match(cpu.status!.placement!.node!, /^cpu-/);
    assert.equal(cpu.status?.observedGeneration, cpu.metadata.generation);
    assert.match(
      cpu.status!.ingest!.url!,
      /^rtmp:\/\/town-hall-ingest\.[a-z0-9-]+\.svc\.cluster\.local:1935\/live$/,
    );
    assert.equal(condition(cpu, 'Live')?.status, 'Unknown', 'simulated pods answer no status');
  });

  test('with every NVENC GPU taken, a stream that allows it falls back to CPU and says so; one that does not is Stalled', async () => {
    // Fill what is left of each NVIDIA node with a pod bound to it (kwok runs it).
    const nodes = await json<{
      items: {
        metadata: { name: string; labels: Record<string, string> };
        status: { allocatable: Record<string, string> };
      }[];
    }>(['get', 'nodes']);
    const pods = await json<{
      items: {
        spec: { nodeName?: string; containers: { resources?: { limits?: Record<string, string> } }[] };
      }[];
    }>(['get', 'pods', '-A', '--field-selector=status.phase=Running']);
    for (const n of nodes.items.filter((x) => x.metadata.labels['nvidia.com/gpu.product'])) {
      const used = pods.items
        .filter((p) => p.spec.nodeName === n.metadata.name)
        .reduce(
          (sum, p) =>
            sum +
            p.spec.containers.reduce((s, c) => s + Number(c.resources?.limits?.['nvidia.com/gpu'] ?? 0), 0),
          0,
        );
      const free = Number(n.status.allocatable['nvidia.com/gpu']) - used;
      if (free <= 0) continue;
      await kubectl(
        ['-n', ns, 'apply', '-f', '-'],
        YAML.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `filler-${n.metadata.name}` },
          spec: {
            nodeName: n.metadata.name,
            tolerations: [{ operator: 'Exists' }],
            containers: [
              { name: 'c', image: 'busybox', resources: { limits: { 'nvidia.com/gpu': String(free) } } },
            ],
          },
        }),
      );
    }
    await kubectl(
      ['-n', ns, 'apply', '-f', '-'],
      YAML.stringify({
        apiVersion: 'livestream-operator.io/v1alpha1',
        kind: 'LiveStream',
        metadata: { name: 'overflow' },
        spec: {
          profileRef: { name: 'seed-ladder' },
          placement: { acceleratorPreference: ['nvidia', 'cpu'], allowCpuFallback: true },
        },
      }),
    );
    // The example without its fixed nodePort (31935 may be taken in a shared cluster).
    const premium = YAML.parse(
      readFileSync(path.join(examples, 'livestream-nvidia-no-fallback.yaml'), 'utf8'),
    ) as {
      spec: { ingest: { service: { nodePort?: number } } };
    };
    delete premium.spec.ingest.service.nodePort;
    await kubectl(['-n', ns, 'apply', '-f', '-'], YAML.stringify(premium));
    const overflow = await waitFor(
      () => stream('overflow'),
      'overflow on CPU with AcceleratorFallback=True',
      (l) =>
        condition(l, 'AcceleratorFallback')?.status === 'True' && condition(l, 'Ready')?.status === 'True',
    );
    assert.equal(overflow.status?.placement?.accelerator, 'cpu');
    assert.ok(overflow.status?.placement?.message, 'the placement says why');
    const stalledStream = await waitFor(
      () => stream('premium-event'),
      'premium-event Stalled',
      (l) => condition(l, 'Stalled')?.status === 'True',
    );
    const stalled = condition(stalledStream, 'Stalled')!;
    assert.equal(condition(stalledStream, 'Ready')?.status, 'False');
    assert.match(stalled.message, /nvidia/i, 'the message names what is missing');
    assert.equal(
      await exists('deployment', 'premium-event-transcoder'),
      false,
      'no transcoder without a place',
    );
    const events = await kubectl([
      '-n',
      ns,
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=premium-event',
      '-o',
      'jsonpath={.items[*].reason}',
    ]);
    assert.match(events, new RegExp(stalled.reason));
    // The stream already on a GPU keeps it.
    assert.equal((await stream('main-stage')).status?.placement?.accelerator, 'nvidia');
    // A freed GPU unblocks the stalled stream.
    await kubectl([
      '-n',
      ns,
      'delete',
      'pods',
      '-l',
      'app.kubernetes.io/managed-by!=livestream-operator',
      '--field-selector',
      'metadata.name!=x',
      '--wait=false',
    ]);
    await waitFor(
      () => stream('premium-event'),
      'premium-event placed once a GPU is free',
      (l) => l.status?.placement?.accelerator === 'nvidia',
      60_000,
    );
  });

  test('a LiveStream whose profile is missing is Stalled (ProfileNotFound) until the profile is created', async () => {
    await kubectl(
      ['-n', ns, 'apply', '-f', '-'],
      YAML.stringify({
        apiVersion: 'livestream-operator.io/v1alpha1',
        kind: 'LiveStream',
        metadata: { name: 'late' },
        spec: { profileRef: { name: 'later' }, placement: { acceleratorPreference: ['cpu'] } },
      }),
    );
    await waitFor(
      () => stream('late'),
      'late Stalled with ProfileNotFound',
      (l) => condition(l, 'Stalled')?.reason === 'ProfileNotFound',
    );
    await kubectl(
      ['-n', ns, 'apply', '-f', '-'],
      YAML.stringify({
        apiVersion: 'livestream-operator.io/v1alpha1',
        kind: 'TranscodeProfile',
        metadata: { name: 'later' },
        spec: {
          renditions: [
            { name: '360p', width: 640, height: 360, videoBitrateKbps: 800, audioBitrateKbps: 96 },
          ],
        },
      }),
    );
    await waitFor(
      () => stream('late'),
      'late Ready',
      (l) => condition(l, 'Ready')?.status === 'True',
    );
    const profile = await json<{
      status?: { liveStreamCount?: number; resourcesPerStream?: { cpu?: unknown } };
    }>(['-n', ns, 'get', 'transcodeprofile', 'later']);
    assert.equal(profile.status?.liveStreamCount, 1);
    assert.ok(profile.status?.resourcesPerStream?.cpu, 'resources one stream needs on CPU');
  });

  test('a profile change rolls the transcoder (its config and pod template change)', async () => {
    const before = await json<Obj>(['-n', ns, 'get', 'deployment', 'late-transcoder']);
    await kubectl([
      '-n',
      ns,
      'patch',
      'transcodeprofile',
      'later',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/renditions/0/videoBitrateKbps","value":700}]',
    ]);
    const changed = await until(
      'the transcoder pod template to change',
      async () => {
        const d = await json<Obj>(['-n', ns, 'get', 'deployment', 'late-transcoder']);
        return JSON.stringify(d.spec?.template) !== JSON.stringify(before.spec?.template) ? d : undefined;
      },
      30_000,
    );
    assert.notEqual(changed.metadata.resourceVersion, before.metadata.resourceVersion);
    const cm = await kubectl(['-n', ns, 'get', 'configmap', 'late-transcoder', '-o', 'jsonpath={.data}']);
    assert.match(cm, /700000|700/);
  });

  test('a child changed by hand is put back: replicas at once, a pod template within a resync period', async () => {
    type Deployment = {
      spec: { replicas: number; template: { spec: { containers: { name: string; image: string }[] } } };
    };
    const ingest = await json<Deployment>(['-n', ns, 'get', 'deployment', 'late-ingest']);
    await kubectl(['-n', ns, 'scale', 'deployment', 'late-ingest', '--replicas=3']);
    await until(
      'the ingest replicas put back',
      async () =>
        (await json<Deployment>(['-n', ns, 'get', 'deployment', 'late-ingest'])).spec.replicas ===
        ingest.spec.replicas,
      30_000,
    );

    // The cache does not keep pod templates: the periodic full apply (--resync-period) restores it.
    const transcoder = await json<Deployment>(['-n', ns, 'get', 'deployment', 'late-transcoder']);
    const container = transcoder.spec.template.spec.containers[0]!;
    const patch = {
      spec: {
        template: { spec: { containers: [{ name: container.name, image: 'example.invalid/by-hand:1' }] } },
      },
    };
    await kubectl(['-n', ns, 'patch', 'deployment', 'late-transcoder', '-p', JSON.stringify(patch)]);
    await until(
      'the transcoder image put back',
      async () => {
        const d = await json<Deployment>(['-n', ns, 'get', 'deployment', 'late-transcoder']);
        return d.spec.template.spec.containers[0]!.image === container.image;
      },
      60_000,
    );
  });

  test('suspend releases the ingest and transcoder, keeps Services and the key, and says Suspended', async () => {
    await kubectl([
      '-n',
      ns,
      'patch',
      'livestream',
      'town-hall',
      '--type=merge',
      '-p',
      '{"spec":{"suspend":true}}',
    ]);
    const ls = await waitFor(
      () => stream('town-hall'),
      'town-hall Suspended',
      (l) =>
        condition(l, 'Ready')?.reason === 'Suspended' &&
        l.status?.observedGeneration === l.metadata.generation,
    );
    assert.equal(condition(ls, 'Stalled')?.status, 'False');
    await until(
      'Deployments gone',
      async () =>
        !(await exists('deployment', 'town-hall-ingest')) &&
        !(await exists('deployment', 'town-hall-transcoder')),
      30_000,
    );
    assert.ok(await exists('service', 'town-hall-ingest'));
    assert.ok(await exists('secret', 'town-hall-stream-key'));
    await kubectl([
      '-n',
      ns,
      'patch',
      'livestream',
      'town-hall',
      '--type=merge',
      '-p',
      '{"spec":{"suspend":false}}',
    ]);
    await kubectl(['-n', ns, 'wait', '--for=condition=Ready', '--timeout=60s', 'livestream/town-hall']);
  });

  test('a restart of the operator, and a resync after it, create nothing and write nothing when nothing changed', async () => {
    await sleep(3_000); // let the last writes settle
    const snapshot = async () =>
      (
        await kubectl([
          '-n',
          ns,
          'get',
          'livestreams,transcodeprofiles,deployments,services,configmaps,secrets',
          '-o',
          'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}',
        ])
      ).trim();
    const before = await snapshot();
    await op.proc.stop();
    op = await startOperator(cluster, 'operator-again', operatorArgs);
    // A full pass over every stream, live-status rounds, and a resync (15 s) that applies every child:
    // an apply that changes nothing is not written either.
    await sleep(18_000);
    assert.equal(await snapshot(), before);
    assert.ok(
      op.proc.output.some((l) => l.includes('periodic full apply')),
      'no resync applied the children in the window: the test no longer covers it',
    );
    const m = await op.metrics();
    assert.match(
      m,
      /controller_runtime_reconcile_total\{controller="livestream",result="requeue_after"\} [1-9]/,
    );
  });

  test('the stream key is in its Secret only: not in status, events or the operator log', async () => {
    const secret = await json<{ data: Record<string, string> }>([
      '-n',
      ns,
      'get',
      'secret',
      'main-stage-stream-key',
    ]);
    const key = Buffer.from(secret.data.streamKey!, 'base64').toString('utf8');
    assert.ok(key.length >= 32);
    assert.ok(!JSON.stringify(await stream('main-stage')).includes(key), 'status');
    assert.ok(!(await kubectl(['-n', ns, 'get', 'events', '-o', 'json'])).includes(key), 'events');
    assert.ok(!op.proc.output.join('\n').includes(key), 'operator log');
    const creds = await new Promise<string>((resolve, reject) => {
      import('node:child_process').then(({ execFile }) =>
        execFile(
          process.execPath,
          [
            '--import',
            'tsx',
            path.join(repoRoot, 'operator/main.ts'),
            'credentials',
            'main-stage',
            '-n',
            ns,
            `--kubeconfig=${cluster.kubeconfigPath}`,
          ],
          { cwd: repoRoot },
          (err, stdout) => (err ? reject(err) : resolve(stdout)),
        ),
      );
    });
    assert.match(creds, /^Server: +rtmp:\/\/\S+\/live$/m);
    assert.ok(creds.includes(`Stream Key: ${key}`), 'credentials prints the key on request');
  });

  test('deleting a LiveStream garbage-collects everything it owned', async () => {
    await kubectl(['-n', ns, 'delete', 'livestream', 'late', '--wait=true']);
    await until(
      'children gone',
      async () => {
        for (const [kind, name] of [
          ['deployment', 'late-ingest'],
          ['deployment', 'late-transcoder'],
          ['service', 'late-ingest'],
          ['configmap', 'late-transcoder'],
          ['secret', 'late-stream-key'],
        ])
          if (await exists(kind!, name!)) return false;
        return true;
      },
      60_000,
    );
    assert.doesNotMatch(await op.metrics(), /livestream_info\{namespace="[^"]+",name="late"/);
  });
});
