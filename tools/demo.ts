// `npm run demo`: the main job on the embedded local cluster. For now it starts (or reuses) the local
// control plane and shows the simulated nodes with their GPUs; running streams is the operator's job,
// which is not built yet, and this says so rather than pretending.
import { CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';
import path from 'node:path';
import { healthProblems, startOwnedCluster, type RunningCluster } from '../localcluster/src/cluster.js';
import { clusterStateDir } from '../localcluster/src/paths.js';
import { poolLabel } from '../localcluster/src/pools.js';
import { readState } from '../localcluster/src/state.js';

function gpuOf(node: V1Node): string {
  const allocatable = node.status?.allocatable ?? {};
  const labels = node.metadata?.labels ?? {};
  if (allocatable['nvidia.com/gpu'])
    return `${allocatable['nvidia.com/gpu']} x ${labels['nvidia.com/gpu.product'] ?? 'NVIDIA'}`;
  if (allocatable['amd.com/gpu'])
    return `${allocatable['amd.com/gpu']} x ${labels['amd.com/gpu.product-name'] ?? labels['amd.com/gpu.device-id'] ?? 'AMD'}`;
  return '-';
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function main(): Promise<void> {
  const recorded = await readState(clusterStateDir()).catch(() => undefined);
  let owned: RunningCluster | undefined;
  let kubeconfigPath: string;
  let binDir: string;
  if (recorded && (await healthProblems(recorded)).length === 0) {
    console.log(`Using the local cluster from npm run cluster:up (${recorded.kubeconfigPath}).`);
    ({ kubeconfigPath, binDir } = recorded);
  } else {
    console.log(
      'Starting a local Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok)...',
    );
    owned = await startOwnedCluster({ progress: (line) => console.log(`  ${line}`) });
    ({ kubeconfigPath, binDir } = owned);
  }

  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const nodes = (await core.listNode()).items;
  const rows = [['NODE', 'POOL', 'READY', 'GPUS (allocatable)', 'CPU', 'MEMORY', 'TAINTS']];
  for (const node of nodes) {
    rows.push([
      node.metadata?.name ?? '?',
      node.metadata?.labels?.[poolLabel] ?? '(real node)',
      node.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '?',
      gpuOf(node),
      node.status?.allocatable?.cpu ?? '?',
      node.status?.allocatable?.memory ?? '?',
      (node.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).join(',') || '-',
    ]);
  }
  console.log(`\n${table(rows)}\n`);
  console.log(
    [
      'Not there yet: the livestream-operator itself (LiveStream and TranscodeProfile resources, placing ingest and',
      'transcoder pods on these nodes). This demo grows with it; today it shows the cluster those streams will run on.',
      '',
      owned
        ? 'This demo started the cluster and stops it now. To keep one running and explore it:\n' +
          `  npm run cluster:up && ${path.join(binDir, 'kubectl')} --kubeconfig .cluster/kubeconfig get nodes --show-labels`
        : `Explore it: ${path.join(binDir, 'kubectl')} --kubeconfig ${kubeconfigPath} get nodes --show-labels\n` +
          'The cluster keeps running; `npm run cluster:down` stops it.',
    ].join('\n'),
  );
  if (owned) await owned.stop();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const code = (err as { code?: string }).code;
    console.error(`demo: ${err instanceof Error ? err.message : String(err)}${code ? ` [${code}]` : ''}`);
    process.exit(1);
  },
);
