// Warm start of the local control plane: launch to all nodes Ready, several runs in a row, with the
// time of each phase and the machine's load average (the machine is shared; say so with the figures).
//   node --import tsx bench/cluster-start.ts [--runs 5] [--pools default] [--qps 20 --burst 30]
// Binaries must be built already (tools/setup.sh): this measures starts, not the Go build.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { resolveBinDir } from '../localcluster/src/binaries.js';
import { startCluster } from '../localcluster/src/cluster.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    pools: { type: 'string', default: 'default' },
    qps: { type: 'string', default: '20' },
    burst: { type: 'string', default: '30' },
  },
});
const runs = Number(values.runs);
await resolveBinDir({ build: false });

const phases = ['certificates', 'etcd', 'kube-apiserver', 'all', 'kube-controller-manager'] as const;
const results: { total: number; nodesReady: number; phase: Record<string, number>; load: number }[] = [];
for (let i = 1; i <= runs; i++) {
  const load = os.loadavg()[0]!;
  const phase: Record<string, number> = {};
  const started = Date.now();
  const cluster = await startCluster({
    pools: values.pools,
    clientLimits: { qps: Number(values.qps), burst: Number(values.burst) },
    progress: (line) => {
      const m = /^(\S+).* after ([\d.]+) s$/.exec(line);
      if (m && phases.includes(m[1] as (typeof phases)[number])) phase[m[1]!] = Number(m[2]);
    },
  });
  const total = (Date.now() - started) / 1000;
  const stopStarted = Date.now();
  await cluster.stop();
  const stop = (Date.now() - stopStarted) / 1000;
  results.push({ total, nodesReady: phase.all ?? total, phase, load });
  console.log(
    `run ${i}: ${cluster.state.nodeCount} nodes Ready in ${total.toFixed(1)} s ` +
      `(certificates ${phase.certificates} s, etcd ${phase.etcd} s, kube-apiserver ${phase['kube-apiserver']} s, ` +
      `all nodes Ready ${phase.all} s, controllers working ${phase['kube-controller-manager']} s); ` +
      `stopped in ${stop.toFixed(1)} s; load average before: ${load.toFixed(2)}`,
  );
  await new Promise((r) => setTimeout(r, 2_000));
}

const stats = (values: number[]) => {
  const v = [...values].sort((a, b) => a - b);
  const median = v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  return `median ${median.toFixed(1)} s, min ${v[0]!.toFixed(1)} s, max ${v.at(-1)!.toFixed(1)} s`;
};
const loads = results.map((r) => r.load);
console.log(
  `\n${runs} starts, pools ${values.pools}, ${os.cpus().length} CPUs, load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}:\n` +
    `  launch to all nodes Ready:                ${stats(results.map((r) => r.nodesReady))}\n` +
    `  launch to startCluster() returning (+SA): ${stats(results.map((r) => r.total))}`,
);
process.exit(0);
