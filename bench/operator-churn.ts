// N LiveStreams on the simulated bench-200 pool, side by side in one run with the floor:
//   floor:    the same rendered children (operator/build) applied directly, with the operator's
//             client and as many requests at once as it has workers; time to every Deployment available;
//   operator: N LiveStreams applied, the real operator reconciling them; time to every LiveStream
//             Ready (status written), and the operator's resident memory (peak, sampled every 250 ms).
//   npm run build && node --import tsx bench/operator-churn.ts [--streams 200] [--workers 10] [--runtime dist|tsx]
// Streams run on CPU (preference [cpu]) on both sides, so both have the same pods to schedule.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { KubeConfig } from '@kubernetes/client-node';
import { startCluster } from '../localcluster/src/cluster.js';
import { runKubectl } from '../localcluster/src/kubectl.js';
import { toNodeRecord } from '../operator/cluster/usage.js';
import type { LiveStream, TranscodeProfile } from '../operator/api/v1alpha1/index.js';
import { desiredChildren, playTokenSecret, streamKeySecret } from '../operator/build/index.js';
import { decidePlacement, DEFAULT_POLICY } from '../operator/placement/index.js';
import { withOwnerAndHash } from '../operator/runtime/apply.js';
import { KubeClient, type KubeObject } from '../operator/runtime/rest.js';
import { collectionPath, kindOf, kinds, objectPath } from '../operator/runtime/resources.js';
import { repoRoot } from '../tools/chart/generate.js';
import { Proc, freePort, sleep, until } from '../test/integration/support/processes.js';
import { defaulted } from '../test/unit/build/fixtures.js';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '200' },
    workers: { type: 'string', default: '10' },
    pools: { type: 'string', default: 'bench-200' },
    // dist: the compiled operator (npm run build), as the image runs it; tsx: from source (adds ~100 MiB).
    runtime: { type: 'string', default: 'dist' },
  },
});
const N = Number(values.streams);
const workers = Number(values.workers);

const cluster = await startCluster({ pools: values.pools });
const kc = new KubeConfig();
kc.loadFromFile(cluster.kubeconfigPath);
const client = new KubeClient(kc);
const kubectl = (args: string[], input?: string) =>
  runKubectl(cluster.binDir, cluster.kubeconfigPath, args, { input, timeoutMs: 300_000 });

for (const args of [
  ['apply', '--server-side', '-f', path.join(repoRoot, 'crds')],
  ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all'],
]) {
  const r = await kubectl(args);
  if (r.code !== 0) throw new Error(r.stderr);
}

const profileDoc = YAML.parse(
  readFileSync(path.join(repoRoot, 'examples/transcodeprofile-low-latency.yaml'), 'utf8'),
) as TranscodeProfile;
const ctx = {
  images: { ingest: 'example.invalid/ingest:bench', transcoder: 'example.invalid/transcoder:bench' },
  imagePullPolicy: 'IfNotPresent',
  imagePullSecrets: [],
  clusterDomain: 'cluster.local',
  amdDeviceGroups: [44, 109],
};

async function inParallel<T>(items: T[], n: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const streamDoc = (name: string) => ({
  apiVersion: 'livestream-operator.io/v1alpha1',
  kind: 'LiveStream',
  metadata: { name },
  spec: { profileRef: { name: 'low-latency' }, placement: { acceleratorPreference: ['cpu'] } },
});
const names = Array.from({ length: N }, (_, i) => `s${String(i).padStart(4, '0')}`);

async function setUp(ns: string): Promise<void> {
  const r = await kubectl(['create', 'namespace', ns]);
  if (r.code !== 0) throw new Error(r.stderr);
  await kubectl(['-n', ns, 'apply', '-f', '-'], YAML.stringify(profileDoc));
}

async function countAvailable(ns: string): Promise<number> {
  const list = await client.get<{ items: { status?: { availableReplicas?: number } }[] }>(
    collectionPath(kinds.Deployment, ns),
  );
  return list.items.filter((d) => (d.status?.availableReplicas ?? 0) >= 1).length;
}

async function countReady(ns: string): Promise<number> {
  const list = await client.get<{ items: LiveStream[] }>(collectionPath(kinds.LiveStream, ns));
  return list.items.filter(
    (l) =>
      l.status?.observedGeneration === l.metadata.generation &&
      l.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;
}

async function floor(ns: string): Promise<number> {
  await setUp(ns);
  const started = Date.now();
  const profile = defaulted<TranscodeProfile>({
    ...profileDoc,
    metadata: { name: 'low-latency', namespace: ns },
  });
  await inParallel(names, workers, async (name) => {
    const stream = defaulted<LiveStream>({ ...streamDoc(name), metadata: { name, namespace: ns } });
    // The placement the operator makes (CPU); every node free, as it is at the start.
    const placed = decidePlacement({ stream, profile, nodes: freeNodes, policy: DEFAULT_POLICY });
    if (!placed.placed) throw new Error(placed.message);
    // An owner for the owner reference (a LiveStream here would be reconciled by nobody).
    const owner = await client.create<KubeObject>(
      collectionPath(kinds.ConfigMap, ns),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-owner` } },
      'bench',
    );
    const all = desiredChildren(stream, profile, placed, ctx) as KubeObject[];
    for (const secret of [streamKeySecret(stream, 'k'.repeat(32)), playTokenSecret(stream, 't'.repeat(32))])
      await client.create(collectionPath(kinds.Secret, ns), secret, 'bench');
    for (const child of all) {
      const rk = kindOf(child.apiVersion, child.kind)!;
      await client.apply(
        objectPath(rk, ns, child.metadata.name!),
        withOwnerAndHash({ ...child, metadata: { ...child.metadata, namespace: ns } }, owner),
        'bench',
      );
    }
  });
  const applied = Date.now();
  await until(
    'floor: every Deployment available',
    async () => (await countAvailable(ns)) >= 2 * N,
    30 * 60_000,
    1_000,
  );
  const total = (Date.now() - started) / 1000;
  console.log(
    `floor:    ${N} streams' children applied in ${((applied - started) / 1000).toFixed(1)} s, all ${2 * N} Deployments available after ${total.toFixed(1)} s`,
  );
  return total;
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function operatorRun(ns: string): Promise<{ total: number; peakMiB: number; endMiB: number }> {
  await setUp(ns);
  const port = await freePort();
  const entry =
    values.runtime === 'tsx'
      ? ['--import', 'tsx', path.join(repoRoot, 'operator/main.ts')]
      : [path.join(repoRoot, 'dist/operator/main.js')];
  if (values.runtime !== 'tsx' && !existsSync(entry[0]!))
    throw new Error('run npm run build first (or --runtime tsx)');
  const op = new Proc(
    'operator',
    process.execPath,
    [
      ...entry,
      `--kubeconfig=${cluster.kubeconfigPath}`,
      `--watch-namespaces=${ns}`,
      '--http-host=127.0.0.1',
      `--http-port=${port}`,
      `--workers=${workers}`,
      '--log-level=info',
      '--live-status=false',
    ],
    { cwd: repoRoot },
  );
  await until(
    'operator ready',
    async () => {
      if (!op.running) throw new Error(op.tail());
      return (await fetch(`http://127.0.0.1:${port}/readyz`)).ok;
    },
    120_000,
    250,
  ).catch((err: unknown) => {
    console.error(op.tail(30));
    throw err;
  });
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(op.child.pid!))), 250);
  const started = Date.now();
  await inParallel(names, workers, (name) =>
    client.create(collectionPath(kinds.LiveStream, ns), streamDoc(name), 'bench'),
  );
  const created = Date.now();
  await until(
    'operator: every LiveStream Ready',
    async () => {
      if (!op.running) throw new Error(op.tail());
      return (await countReady(ns)) >= N;
    },
    30 * 60_000,
    1_000,
  );
  const total = (Date.now() - started) / 1000;
  await sleep(2_000);
  const end = rssKiB(op.child.pid!);
  clearInterval(sampler);
  await op.stop();
  console.log(
    `operator: ${N} LiveStreams created in ${((created - started) / 1000).toFixed(1)} s, all Ready after ${total.toFixed(1)} s; RSS peak ${(peak / 1024).toFixed(0)} MiB, after ${(end / 1024).toFixed(0)} MiB`,
  );
  return { total, peakMiB: peak / 1024, endMiB: end / 1024 };
}

const nodeList = await client.get<{ items: Record<string, unknown>[] }>(collectionPath(kinds.Node));
const freeNodes = nodeList.items.map(toNodeRecord).map((n) => ({
  name: n.metadata.name,
  labels: n.metadata.labels,
  taints: n.taints,
  allocatable: n.allocatable,
  requested: {},
  ready: true,
  unschedulable: false,
}));

try {
  const load = os.loadavg()[0]!;
  const f = await floor('bench-floor');
  await kubectl(['delete', 'namespace', 'bench-floor', '--wait=true']);
  const o = await operatorRun('bench-operator');
  console.log(
    `\n${N} streams, pools ${values.pools}, ${workers} workers, operator from ${values.runtime}, ${os.cpus().length} CPUs, load average at start ${load.toFixed(1)}:` +
      `\n  floor ${f.toFixed(1)} s, operator ${o.total.toFixed(1)} s, ratio ${(o.total / f).toFixed(2)}x; operator RSS peak ${o.peakMiB.toFixed(0)} MiB`,
  );
} finally {
  await cluster.stop();
}
process.exit(0);
