// `npm run cluster:up | cluster:down | cluster:status`: one detached local cluster per checkout,
// recorded in .cluster/ (state.json with pids, ports and dirs; kubeconfig).
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { parseCommand, helpText, type CommandSpec, type OptionTable } from '../../lib/cli.js';
import { ConfigError, LivestreamError } from '../../lib/errors.js';
import { healthProblems, reapOrphans, startCluster, stopRecorded } from './cluster.js';
import { benchmarkClientLimits, defaultClientLimits } from './components.js';
import { ClusterError } from './errors.js';
import { clusterStateDir } from './paths.js';
import { resolvePoolsPath } from './pools.js';
import { startRealNode, stopRealNode } from './realnode/index.js';
import { acquireLock, liveness, readState, stateFileName, writeState, type ClusterState } from './state.js';

const upCommand = {
  name: 'cluster:up',
  summary:
    'Starts the local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok) ' +
    'with simulated GPU and CPU nodes, detached, and prints the kubeconfig path. Reuses a healthy running one.',
  epilog: 'Example: npm run cluster:up -- --pools bench-200 --qps 200 --burst 400',
  options: {
    pools: {
      type: 'string',
      env: 'LIVESTREAM_POOLS',
      default: 'default',
      description: 'Node pool file: a name in localcluster/pools or a path',
    },
    qps: {
      type: 'number',
      env: 'LIVESTREAM_CLUSTER_QPS',
      default: defaultClientLimits.qps,
      min: 1,
      max: 100000,
      description: `Client QPS of kube-controller-manager and kube-scheduler (benchmarks: ${benchmarkClientLimits.qps})`,
    },
    burst: {
      type: 'number',
      env: 'LIVESTREAM_CLUSTER_BURST',
      default: defaultClientLimits.burst,
      min: 1,
      max: 100000,
      description: `Client burst of kube-controller-manager and kube-scheduler (benchmarks: ${benchmarkClientLimits.burst})`,
    },
    apiserverPort: {
      type: 'number',
      env: 'LIVESTREAM_APISERVER_PORT',
      min: 1,
      max: 65535,
      description: 'Fixed kube-apiserver port (default: a free one)',
    },
    bindAddress: {
      type: 'string',
      env: 'LIVESTREAM_APISERVER_ADDRESS',
      default: '127.0.0.1',
      description: 'Address kube-apiserver listens on and advertises (for a real node: docs/localcluster.md)',
    },
    realNode: {
      type: 'boolean',
      env: 'LIVESTREAM_REAL_NODE',
      default: false,
      description:
        'Also join a real node (kubelet, containerd, kube-proxy, CoreDNS; root; tainted livestream-operator.io/real-node): docs/real-node.md',
    },
    timeout: {
      type: 'duration',
      env: 'LIVESTREAM_CLUSTER_TIMEOUT',
      default: '3m',
      description: 'Deadline from launch to all nodes Ready',
    },
  },
} as const satisfies CommandSpec<OptionTable>;

const downCommand = {
  name: 'cluster:down',
  summary:
    'Stops the local cluster recorded in .cluster/ (in reverse start order, by pid) and removes its data.',
  options: {},
} as const satisfies CommandSpec<OptionTable>;

const statusCommand = {
  name: 'cluster:status',
  summary:
    'Says whether the local cluster recorded in .cluster/ runs and answers; exit status 0 only when healthy.',
  options: {},
} as const satisfies CommandSpec<OptionTable>;

const say = (line: string) => process.stderr.write(`${line}\n`);

function describe(state: ClusterState): string {
  return `${state.nodeCount} nodes from ${path.relative(process.cwd(), state.poolsFile) || state.poolsFile}, API server ${state.server}, started ${state.startedAt}`;
}

async function forget(dir: string, state: ClusterState): Promise<void> {
  await rm(path.join(dir, stateFileName), { force: true });
  await rm(state.kubeconfigPath, { force: true });
}

/** Joins a real node to the cluster; it outlives this command, and cluster:down stops it. */
async function upRealNode(kubeconfigPath: string): Promise<void> {
  const node = await startRealNode({
    kubeconfigPath,
    detached: true,
    progress: (line) => say(`cluster:up: real node: ${line}`),
  });
  say(`cluster:up: real node ${node.name} Ready at ${node.nodeIP} (pods ${node.podCidr})`);
}

async function up(argv: string[]): Promise<number> {
  const parsed = parseCommand(upCommand, argv, process.env);
  if (parsed.help) {
    process.stdout.write(helpText(upCommand));
    return 0;
  }
  const options = parsed.options;
  const dir = clusterStateDir();
  const release = await acquireLock(dir);
  try {
    const existing = await readState(dir);
    if (existing) {
      const { liveness: live } = liveness(existing);
      if (live === 'none running') {
        say(
          `.cluster/ recorded a cluster (pid ${existing.owner.pid}) whose processes no longer run (killed, or the machine restarted); cleaning it up.`,
        );
        await stopRecorded(existing);
        await forget(dir, existing);
      } else {
        const problems = await healthProblems(existing);
        if (problems.length > 0)
          throw new ClusterError(
            'LSO_CLUSTER_BROKEN',
            `the local cluster in ${dir} is broken: ${problems.join('; ')}.\n` +
              'Run `npm run cluster:down` to stop what is left of it, then `npm run cluster:up` again.',
          );
        if (resolvePoolsPath(options.pools) !== existing.poolsFile)
          throw new ClusterError(
            'LSO_CLUSTER_BUSY',
            `a local cluster is already running with other pools (${existing.poolsFile}); ` +
              'run `npm run cluster:down` first to start one with ' +
              options.pools,
          );
        say(`a local cluster is already running (${describe(existing)}); reusing it.`);
        if (options.realNode) await upRealNode(existing.kubeconfigPath);
        process.stdout.write(`${existing.kubeconfigPath}\n`);
        return 0;
      }
    }
    for (const note of await reapOrphans()) say(note);

    const controller = new AbortController();
    const interrupted = (sig: NodeJS.Signals) =>
      controller.abort(new ClusterError('LSO_CLUSTER_START_FAILED', `interrupted (${sig})`));
    process.on('SIGINT', interrupted).on('SIGTERM', interrupted).on('SIGHUP', interrupted);
    let cluster;
    try {
      cluster = await startCluster({
        pools: options.pools,
        clientLimits: { qps: options.qps, burst: options.burst },
        apiserverPort: options.apiserverPort,
        bindAddress: options.bindAddress,
        kubeconfigPath: path.join(dir, 'kubeconfig'),
        detached: true,
        timeoutMs: options.timeout,
        signal: controller.signal,
        progress: (line) => say(`cluster:up: ${line}`),
      });
    } catch (err) {
      if (controller.signal.aborted) {
        say('cluster:up: interrupted; stopped the components that had started and removed their data.');
        return 130;
      }
      throw err;
    } finally {
      process.off('SIGINT', interrupted).off('SIGTERM', interrupted).off('SIGHUP', interrupted);
    }
    await writeState(dir, cluster.state);
    if (options.realNode) await upRealNode(cluster.kubeconfigPath);
    say(
      [
        `cluster:up: ready: ${describe(cluster.state)}`,
        `  export KUBECONFIG=${cluster.kubeconfigPath}`,
        `  ${path.join(cluster.binDir, 'kubectl')} get nodes     (kubectl v1.36 built with the cluster)`,
        '  npm run cluster:down     stops it',
      ].join('\n'),
    );
    process.stdout.write(`${cluster.kubeconfigPath}\n`);
    return 0;
  } finally {
    await release();
  }
}

async function down(argv: string[]): Promise<number> {
  const parsed = parseCommand(downCommand, argv, process.env);
  if (parsed.help) {
    process.stdout.write(helpText(downCommand));
    return 0;
  }
  const dir = clusterStateDir();
  const release = await acquireLock(dir);
  try {
    for (const note of await reapOrphans()) say(note);
    const state = await readState(dir);
    if (!state) {
      say(`no local cluster is recorded in ${dir}; nothing to stop.`);
      return 0;
    }
    const node = await stopRealNode((line) => say(`cluster:down: real node: ${line}`), state.kubeconfigPath);
    if (node)
      say(
        `cluster:down: real node stopped${node.leftovers.length ? `; left: ${node.leftovers.join('; ')}` : ''}`,
      );
    const report = await stopRecorded(state);
    for (const p of report.processes) {
      const note =
        p.outcome === 'not ours'
          ? 'left alone: the pid now belongs to another program'
          : p.outcome === 'killed'
            ? 'did not exit after SIGTERM; killed'
            : p.outcome;
      say(`cluster:down: ${p.name} (pid ${p.pid}): ${note}`);
    }
    await forget(dir, state);
    say(`cluster:down: removed ${report.removed} and ${state.kubeconfigPath}`);
    return 0;
  } finally {
    await release();
  }
}

async function status(argv: string[]): Promise<number> {
  const parsed = parseCommand(statusCommand, argv, process.env);
  if (parsed.help) {
    process.stdout.write(helpText(statusCommand));
    return 0;
  }
  const state = await readState(clusterStateDir());
  if (!state) {
    say('no local cluster is recorded (npm run cluster:up starts one)');
    return 1;
  }
  const problems = await healthProblems(state);
  say(`${describe(state)}\nkubeconfig: ${state.kubeconfigPath}`);
  for (const p of state.processes) say(`  ${p.name.padEnd(24)} pid ${p.pid}`);
  say(problems.length === 0 ? 'healthy' : `not healthy: ${problems.join('; ')}`);
  return problems.length === 0 ? 0 : 1;
}

const commands: Record<string, (argv: string[]) => Promise<number>> = { up, down, status };

async function main(): Promise<number> {
  const [name, ...argv] = process.argv.slice(2);
  const command = name ? commands[name] : undefined;
  if (!command) {
    say('usage: cli.ts up|down|status [--help]');
    return 2;
  }
  try {
    return await command(argv);
  } catch (err) {
    const code = err instanceof LivestreamError ? ` [${err.code}]` : '';
    say(`cluster:${name}: ${err instanceof Error ? err.message : String(err)}${code}`);
    return err instanceof ConfigError ||
      (err instanceof LivestreamError && err.code === 'LSO_CLUSTER_POOLS_INVALID')
      ? 2
      : 1;
  }
}

main().then((code) => process.exit(code));
