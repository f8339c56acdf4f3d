// Spec changes at a steady rate against a running operator: each change (spec.output.playlistSize
// flipped by a merge patch) is timed from the PATCH's answer to the LiveStream's
// status.observedGeneration reaching the new generation (seen through a watch in this process).
//   npm run build && node --import tsx bench/operator-spec-changes.ts [--streams 40] [--rate 20] [--seconds 300]
import { KubeConfig } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { Logger } from '../lib/log.js';
import { startCluster } from '../localcluster/src/cluster.js';
import { runKubectl } from '../localcluster/src/kubectl.js';
import type { LiveStream } from '../operator/api/v1alpha1/index.js';
import { Cache } from '../operator/runtime/cache.js';
import { Informer } from '../operator/runtime/informer.js';
import { KubeClient } from '../operator/runtime/rest.js';
import { collectionPath, kinds, objectPath } from '../operator/runtime/resources.js';
import { repoRoot } from '../tools/chart/generate.js';
import { Proc, freePort, sleep, until } from '../test/integration/support/processes.js';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '40' },
    rate: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '300' },
  },
});
const N = Number(values.streams);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const ns = 'bench-changes';

const cluster = await startCluster({ pools: 'default' });
const kc = new KubeConfig();
kc.loadFromFile(cluster.kubeconfigPath);
const client = new KubeClient(kc);
const kubectl = async (args: string[], input?: string) => {
  const r = await runKubectl(cluster.binDir, cluster.kubeconfigPath, args, { input, timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(r.stderr);
};
let op: Proc | undefined;
try {
  await kubectl(['apply', '--server-side', '-f', path.join(repoRoot, 'crds')]);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  await kubectl(['create', 'namespace', ns]);
  await kubectl(['-n', ns, 'apply', '-f', path.join(repoRoot, 'examples/transcodeprofile-low-latency.yaml')]);
  const docs = Array.from({ length: N }, (_, i) => ({
    apiVersion: 'livestream-operator.io/v1alpha1',
    kind: 'LiveStream',
    metadata: { name: `c${String(i).padStart(3, '0')}` },
    spec: { profileRef: { name: 'low-latency' }, placement: { acceleratorPreference: ['cpu'] } },
  }));
  await kubectl(['-n', ns, 'apply', '-f', '-'], docs.map((d) => YAML.stringify(d)).join('---\n'));

  const port = await freePort();
  op = new Proc('operator', process.execPath, [
    path.join(repoRoot, 'dist/operator/main.js'),
    `--kubeconfig=${cluster.kubeconfigPath}`,
    `--watch-namespaces=${ns}`,
    '--http-host=127.0.0.1',
    `--http-port=${port}`,
    '--log-level=warn',
    '--live-status=false',
  ]);
  const ready = (l: LiveStream) =>
    l.status?.observedGeneration === l.metadata.generation &&
    !!l.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  await until(
    'every LiveStream Ready',
    async () => {
      if (!op!.running) throw new Error(op!.tail());
      const list = await client.get<{ items: LiveStream[] }>(collectionPath(kinds.LiveStream, ns));
      return list.items.filter(ready).length === N;
    },
    300_000,
    1_000,
  );

  // Watch in this process: when a stream's observedGeneration reaches a pending change, time it.
  const pending = new Map<string, { generation: number; at: number }[]>();
  const latencies: number[] = [];
  const cache = new Cache<LiveStream>('LiveStream');
  const seen = (l: LiveStream) => {
    const waiting = pending.get(l.metadata.name!) ?? [];
    const observed = l.status?.observedGeneration ?? 0;
    const now = performance.now();
    const left = waiting.filter((w) => {
      if (observed < w.generation) return true;
      latencies.push(now - w.at);
      return false;
    });
    pending.set(l.metadata.name!, left);
  };
  cache.on({ add: seen, update: (_a, b) => seen(b) });
  const informer = new Informer<LiveStream>({
    client,
    kind: kinds.LiveStream,
    cache,
    namespace: ns,
    log: new Logger({}, { level: 'error' }),
  });
  informer.start();
  await informer.waitForSync();

  let peak = 0;
  const rss = () =>
    Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${op!.child.pid}/status`, 'utf8'))?.[1] ?? 0);
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 250);
  const load = os.loadavg()[0]!;
  const total = rate * seconds;
  let sent = 0;
  const started = performance.now();
  while (sent < total) {
    const due = started + (sent * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const name = docs[sent % N]!.metadata.name;
    const playlistSize = 7 - (Math.floor(sent / N) % 2); // the default is 6: every patch is a change
    sent++;
    void client
      .request<LiveStream>('PATCH', objectPath(kinds.LiveStream, ns, name), {
        body: { spec: { output: { playlistSize } } },
        contentType: 'application/merge-patch+json',
      })
      .then((l) => {
        const list = pending.get(name) ?? [];
        list.push({ generation: l.metadata.generation!, at: performance.now() });
        pending.set(name, list);
        seen(cache.getIn(ns, name) ?? l);
      });
  }
  await until(
    'every change observed',
    () => [...pending.values()].every((l) => l.length === 0),
    120_000,
    200,
  );
  clearInterval(sampler);
  await informer.stop();
  // Where the time went: the operator's own queue and reconcile figures.
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const figure = (name: string) =>
    metrics
      .split('\n')
      .filter((l) => l.startsWith(name) && l.includes('livestream'))
      .map((l) => Number(l.split(' ').at(-1)))
      .reduce((a, b) => a + b, 0);
  const reconciles = figure('controller_runtime_reconcile_time_seconds_count');
  console.log(
    `operator: ${reconciles} reconciles, mean work ${((figure('workqueue_work_duration_seconds_sum') / figure('workqueue_work_duration_seconds_count')) * 1000).toFixed(0)} ms, ` +
      `mean wait in queue ${((figure('workqueue_queue_duration_seconds_sum') / figure('workqueue_queue_duration_seconds_count')) * 1000).toFixed(0)} ms, ` +
      `requests ${metrics
        .split('\n')
        .filter((l) => l.startsWith('rest_client_requests_total'))
        .map((l) => Number(l.split(' ').at(-1)))
        .reduce((a, b) => a + b, 0)}`,
  );
  const sorted = [...latencies].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  console.log(
    `${latencies.length} spec changes at ${rate}/s over ${seconds} s on ${N} LiveStreams (${os.cpus().length} CPUs, load average at start ${load.toFixed(1)}):\n` +
      `  change -> observedGeneration: p50 ${q(0.5).toFixed(0)} ms, p99 ${q(0.99).toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms; operator RSS peak ${(peak / 1024).toFixed(0)} MiB`,
  );
} finally {
  await op?.stop();
  await cluster.stop();
}
process.exit(0);
