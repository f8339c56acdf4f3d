// Runs a command with one local cluster for all of it (what `npm run test:integration` does), so test
// files do not each pay for a start:
//   node --import tsx localcluster/src/with-cluster.ts -- node --test ...
// Uses the cluster named by LIVESTREAM_KUBECONFIG or a healthy one from `npm run cluster:up`;
// otherwise starts one (pools: LIVESTREAM_POOLS or default), exports LIVESTREAM_KUBECONFIG and
// LIVESTREAM_CLUSTER_POOLS to the command, and always stops the cluster when the command ends.
import { spawn } from 'node:child_process';
import { healthProblems, startOwnedCluster, type RunningCluster } from './cluster.js';
import { clusterStateDir } from './paths.js';
import { readState } from './state.js';
import { kubeconfigEnv, poolsEnv } from './testing.js';

async function main(argv: string[]): Promise<number> {
  const command = argv[0] === '--' ? argv.slice(1) : argv;
  if (command.length === 0 || command[0] === '--help') {
    process.stderr.write('usage: with-cluster.ts -- COMMAND [ARGS...]\n');
    return 2;
  }
  const env = { ...process.env };
  let cluster: RunningCluster | undefined;
  if (!env[kubeconfigEnv]) {
    const recorded = await readState(clusterStateDir()).catch(() => undefined);
    if (recorded && (await healthProblems(recorded)).length === 0) {
      process.stderr.write(
        `with-cluster: using the cluster from npm run cluster:up (${recorded.kubeconfigPath})\n`,
      );
      env[kubeconfigEnv] = recorded.kubeconfigPath;
      env[poolsEnv] = recorded.poolsFile;
    } else {
      cluster = await startOwnedCluster({
        progress: (line) => process.stderr.write(`with-cluster: ${line}\n`),
      });
      env[kubeconfigEnv] = cluster.kubeconfigPath;
      env[poolsEnv] = cluster.state.poolsFile;
    }
  }

  const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env });
  // The terminal's Ctrl-C reaches the command too; wait for it to end, then stop the cluster.
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGTERM', forward);
  const code = await new Promise<number>((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`with-cluster: cannot run ${command[0]}: ${err.message}\n`);
      resolve(127);
    });
    child.on('exit', (c, sig) => resolve(c ?? (sig === 'SIGINT' ? 130 : 1)));
  });
  process.off('SIGTERM', forward);
  if (cluster) {
    const report = await cluster.stop();
    const forced = report.processes.filter((p) => p.outcome === 'killed').map((p) => p.name);
    process.stderr.write(
      `with-cluster: stopped the local cluster${forced.length ? ` (needed SIGKILL: ${forced.join(', ')})` : ''}\n`,
    );
  }
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`with-cluster: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
