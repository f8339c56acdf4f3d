// Memory of the running local control plane: resident set size (VmRSS) of each component once the
// cluster has been idle for a while, optionally after running pods on it.
//   node --import tsx bench/cluster-memory.ts [--pools default|bench-200] [--pods 0] [--settle 30s]
// --pods N creates one Deployment of N small pods (spread over the CPU and GPU nodes by the scheduler)
// and waits until all run. Benchmarks use the raised client limits (200/400) on controller-manager
// and scheduler, as the other benchmarks do.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDuration } from '../lib/cli.js';
import { resolveBinDir } from '../localcluster/src/binaries.js';
import { startCluster } from '../localcluster/src/cluster.js';
import { benchmarkClientLimits } from '../localcluster/src/components.js';
import { runKubectl } from '../localcluster/src/kubectl.js';

const { values } = parseArgs({
  options: {
    pools: { type: 'string', default: 'default' },
    pods: { type: 'string', default: '0' },
    settle: { type: 'string', default: '30s' },
  },
});
await resolveBinDir({ build: false });

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

const cluster = await startCluster({
  pools: values.pools,
  clientLimits: benchmarkClientLimits,
  timeoutMs: 600_000,
});
try {
  console.log(
    `${cluster.state.nodeCount} nodes Ready in ${((cluster.state.readyMs ?? 0) / 1000).toFixed(1)} s`,
  );
  const kubectl = (args: string[], input?: string) =>
    runKubectl(cluster.binDir, cluster.kubeconfigPath, args, { input, timeoutMs: 900_000 });
  const pods = Number(values.pods);
  if (pods > 0) {
    const started = Date.now();
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'load', namespace: 'default' },
      spec: {
        replicas: pods,
        selector: { matchLabels: { app: 'load' } },
        template: {
          metadata: { labels: { app: 'load' } },
          spec: {
            tolerations: [{ operator: 'Exists' }],
            containers: [
              {
                name: 'c',
                image: 'example.invalid/load:bench',
                resources: { requests: { cpu: '10m', memory: '16Mi' } },
              },
            ],
          },
        },
      },
    };
    const applied = await kubectl(['apply', '-f', '-'], JSON.stringify(deployment));
    if (applied.code !== 0) throw new Error(applied.stderr);
    const waited = await kubectl(['rollout', 'status', 'deployment/load', '-n', 'default', '--timeout=900s']);
    if (waited.code !== 0) throw new Error(waited.stderr);
    console.log(`${pods} pods Running in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const settleMs = parseDuration(values.settle);
  await new Promise((r) => setTimeout(r, settleMs));
  let total = 0;
  for (const p of cluster.state.processes) {
    const mib = rssMiB(p.pid);
    total += mib;
    console.log(`${p.name.padEnd(24)} ${mib.toFixed(0).padStart(6)} MiB`);
  }
  console.log(`${'total'.padEnd(24)} ${total.toFixed(0).padStart(6)} MiB  (after ${values.settle} idle)`);
} finally {
  await cluster.stop();
}
process.exit(0);
