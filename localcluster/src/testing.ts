// The test helper: a real local cluster for a test suite.
//
//   const cluster = await useCluster();          // in before()
//   await cluster.kubectl(['apply', '-f', '-'], { input: yaml });
//   await cluster.stop();                        // in after()
//
// It reuses a running cluster when LIVESTREAM_KUBECONFIG is set (`npm run test:integration` starts one
// for the whole run and sets it) or when `npm run cluster:up` left a healthy one in .cluster/; stop()
// then does nothing. Otherwise it starts a cluster for the suite and stop() ends it (it is also
// stopped if the process exits or is interrupted first). Tests isolate themselves in their own
// namespaces, since the cluster is shared.
import { KubeConfig } from '@kubernetes/client-node';
import { resolveBinDir } from './binaries.js';
import { healthProblems, startOwnedCluster } from './cluster.js';
import { runKubectl, type KubectlOptions, type KubectlResult } from './kubectl.js';
import { clusterStateDir } from './paths.js';
import { resolvePoolsPath } from './pools.js';
import { readState } from './state.js';

export interface TestCluster {
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  /** The folder of the cluster's binaries; `${binDir}/kubectl` is the matching kubectl. */
  binDir: string;
  kubectl(args: string[], options?: KubectlOptions): Promise<KubectlResult>;
  stop(): Promise<void>;
}

/** Set by `npm run test:integration` (localcluster/src/with-cluster.ts) for every test file. */
export const kubeconfigEnv = 'LIVESTREAM_KUBECONFIG';
/** The pool file of the cluster named by LIVESTREAM_KUBECONFIG, when known. */
export const poolsEnv = 'LIVESTREAM_CLUSTER_POOLS';

function testCluster(kubeconfigPath: string, binDir: string, stop: () => Promise<void>): TestCluster {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  return {
    kubeconfigPath,
    kubeConfig,
    binDir,
    kubectl: (args, options) => runKubectl(binDir, kubeconfigPath, args, options),
    stop,
  };
}

const nothingToStop = async () => {};

export async function useCluster(options: { pools?: string } = {}): Promise<TestCluster> {
  const wanted = options.pools === undefined ? undefined : resolvePoolsPath(options.pools);
  const fits = (poolsFile: string | undefined) =>
    wanted === undefined || poolsFile === undefined || poolsFile === wanted;

  const fromEnv = process.env[kubeconfigEnv];
  if (fromEnv && fits(process.env[poolsEnv]))
    return testCluster(fromEnv, await resolveBinDir(), nothingToStop);

  const recorded = await readState(clusterStateDir()).catch(() => undefined);
  if (recorded && fits(recorded.poolsFile) && (await healthProblems(recorded)).length === 0)
    return testCluster(recorded.kubeconfigPath, recorded.binDir, nothingToStop);

  const cluster = await startOwnedCluster({ pools: options.pools });
  process.stderr.write(
    `local cluster for this suite: ${cluster.state.nodeCount} nodes Ready in ${((cluster.state.readyMs ?? 0) / 1000).toFixed(1)} s\n`,
  );
  return testCluster(cluster.kubeconfigPath, cluster.binDir, async () => {
    await cluster.stop();
  });
}

/**
 * A cluster of the suite's own, never a shared one: for tests that disturb the control plane (restart
 * the API server), which would break the other suites of a run.
 */
export async function startOwnCluster(
  options: { pools?: string } = {},
): Promise<TestCluster & { restartApiServer(): Promise<void> }> {
  const cluster = await startOwnedCluster({ pools: options.pools });
  return {
    ...testCluster(cluster.kubeconfigPath, cluster.binDir, async () => {
      await cluster.stop();
    }),
    restartApiServer: () => cluster.restartApiServer(),
  };
}
