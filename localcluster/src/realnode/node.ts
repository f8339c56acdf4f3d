// A real node joining a running local cluster: containerd (Debian's, started by hand), a CNI bridge,
// the kubelet, kube-proxy (iptables mode: ClusterIPs and NodePorts work from this machine and from
// pods) and CoreDNS for cluster names, with the project's images built by buildah and loaded into
// containerd. Stopping it undoes every change it made to the machine (host.ts). docs/real-node.md.
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ClusterError } from '../errors.js';
import { renderKubeconfig } from '../kubeconfig.js';
import { runKubectl } from '../kubectl.js';
import { issueClientCertificate, type Identity } from '../pki.js';
import { clusterOf, issueNodeCredentials } from '../realnode.js';
import { freePorts } from '../ports.js';
import {
  logTail,
  processState,
  startProcess,
  stopProcess,
  stopProcessSync,
  type ProcessRecord,
} from '../processes.js';
import { cacheRoot, corednsBinary, kubernetesNodeBinaries } from './binaries.js';
import { containerdAnswers, importImages, removeAllContainers, taskIds } from './containerd.js';
import { run, succeeds } from './exec.js';
import {
  createBridge,
  deleteBridge,
  isolatePods,
  readSysctls,
  removeKubepodsCgroups,
  removeKubernetesChains,
  removePodIsolation,
  restoreSysctls,
  unmountAll,
} from './host.js';
import { buildImages, type BuiltImage, type ImageTarget } from './images.js';
import {
  containerdConfig,
  cniConfList,
  corefile,
  defaultBridge,
  defaultNodeIP,
  defaultPodCidr,
  kubeletConfig,
  kubeProxyConfig,
  paths,
  realNodeLabel,
  realNodeTaint,
  type NodePlan,
} from './plan.js';
import {
  machineDir,
  nodeDataRoot,
  readNodeState,
  stateFile,
  stillInUse,
  withMachineLock,
  writeNodeState,
  type RealNodeState,
} from './state.js';
import { realNodeSupport } from './support.js';

export interface RealNodeOptions {
  /** Admin kubeconfig of a local cluster started by the launcher (state.json lies beside it). */
  kubeconfigPath: string;
  name?: string;
  /**
   * Taint the node (livestream-operator.io/real-node=true:NoSchedule) so only pods that tolerate it
   * land there: the default, which keeps a shared cluster's simulated-workload tests unaffected.
   * false makes it an ordinary node (the end-to-end test and the demo, where it is the CPU pool).
   */
  taint?: boolean;
  /** Project images to build and load (the pause image always is). Default: ingest and transcoder. */
  images?: readonly Exclude<ImageTarget, 'pause'>[];
  /** Wait this long for another real node on this machine to go away (default: fail at once). */
  waitForMachineMs?: number;
  /** The node outlives this process (cluster:up --real-node); cluster:down stops it. */
  detached?: boolean;
  /** Deadline for the kubelet to register and turn Ready, from its launch. */
  readyTimeoutMs?: number;
  progress?: (line: string) => void;
}

export interface RealNode {
  name: string;
  nodeIP: string;
  podCidr: string;
  images: BuiltImage[];
  /** From the kubelet's launch to the Node being Ready. */
  readyMs: number;
  timings: Record<string, number>;
  stop(): Promise<StopReport>;
  /**
   * For nodes owned by a test run: stop on SIGINT/SIGTERM/SIGHUP, and kill its processes if the
   * process exits without stop() (the next start, or cluster:down, then undoes the rest).
   */
  stopWhenProcessEnds(): void;
}

export interface StopReport {
  processes: { name: string; outcome: string }[];
  /** Kernel settings put back. */
  restored: string[];
  /** Anything that could not be removed (empty when the machine is as it was). */
  leftovers: string[];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

class RealNodeError extends ClusterError {
  constructor(
    code: 'LSO_REALNODE_UNSUPPORTED' | 'LSO_REALNODE_BUSY' | 'LSO_REALNODE_START_FAILED',
    message: string,
  ) {
    super(code, message);
    this.name = 'RealNodeError';
  }
}

async function issueKubeconfig(
  state: { dataDir: string; server: string },
  identity: Identity,
  dir: string,
  name: string,
): Promise<string> {
  const pkiDir = path.join(state.dataDir, 'pki');
  const ca = { cert: path.join(pkiDir, 'ca.crt'), key: path.join(pkiDir, 'ca.key') };
  const pair = await issueClientCertificate({ dir: pkiDir, ca }, identity, dir, name);
  const file = path.join(dir, `${name}.kubeconfig`);
  await writeFile(
    file,
    renderKubeconfig({
      clusterName: 'livestream-local',
      server: state.server,
      userName: identity.commonName,
      caPem: await readFile(ca.cert, 'utf8'),
      clientCertPem: await readFile(pair.cert, 'utf8'),
      clientKeyPem: await readFile(pair.key, 'utf8'),
    }),
    { mode: 0o600 },
  );
  return file;
}

/** CoreDNS reads Services, EndpointSlices and Namespaces (as kubeadm's system:coredns role). */
const corednsUser = 'livestream-realnode-coredns';
const corednsRbac = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: ${corednsUser} }
rules:
  - { apiGroups: [''], resources: [endpoints, services, pods, namespaces], verbs: [list, watch] }
  - { apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: ${corednsUser} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${corednsUser} }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: ${corednsUser} }]
`;

/** Starts a real node and returns once it is Ready with kube-proxy and DNS working. */
export async function startRealNode(options: RealNodeOptions): Promise<RealNode> {
  const progress = options.progress ?? (() => {});
  const name = options.name ?? 'real-node-0';
  const cluster = await clusterOf(options.kubeconfigPath);
  const timings: Record<string, number> = {};
  const t0 = Date.now();
  const mark = (step: string, since: number) => {
    timings[step] = Date.now() - since;
    progress(`${step} in ${seconds(timings[step]!)}`);
  };

  const binDir = await kubernetesNodeBinaries();
  const [kubelet, kubeletHealthz, proxyHealthz, proxyMetrics, dnsHealth] = await freePorts(5);
  const dataDir = path.join(nodeDataRoot, name);
  const plan: NodePlan = {
    name,
    nodeIP: defaultNodeIP,
    podCidr: defaultPodCidr,
    bridge: defaultBridge,
    dirs: {
      state: path.join(machineDir, 'node'),
      data: dataDir,
      containerdRoot: path.join(cacheRoot(), 'realnode', 'containerd'),
    },
    sandboxImage: '',
    ports: {
      kubelet: kubelet!,
      kubeletHealthz: kubeletHealthz!,
      proxyHealthz: proxyHealthz!,
      proxyMetrics: proxyMetrics!,
      dnsHealth: dnsHealth!,
    },
    labels: { [realNodeLabel]: 'true' },
    taints: options.taint === false ? [] : [{ ...realNodeTaint }],
    files: {
      caCert: path.join(cluster.dataDir, 'pki', 'ca.crt'),
      kubeletKubeconfig: path.join(dataDir, 'pki', `kubelet-${name}.kubeconfig`),
      proxyKubeconfig: path.join(dataDir, 'pki', 'kube-proxy.kubeconfig'),
      dnsKubeconfig: path.join(dataDir, 'pki', `${corednsUser}.kubeconfig`),
    },
  };
  const state: RealNodeState = {
    version: 1,
    plan,
    cluster: { kubeconfigPath: options.kubeconfigPath, binDir: cluster.binDir },
    owner: { pid: process.pid, detached: options.detached ?? false },
    processes: [],
    sysctls: {},
    startedAt: new Date().toISOString(),
  };

  // One real node per machine. A node left by a dead run is cleaned up first; then this one is
  // recorded in the same locked step, so two starts cannot both take the machine.
  const deadline = Date.now() + (options.waitForMachineMs ?? 0);
  for (;;) {
    const claimed = await withMachineLock(async () => {
      const existing = await readNodeState();
      if (existing && stillInUse(existing)) return existing;
      if (existing) {
        progress(`cleaning up a real node left by pid ${existing.owner.pid}`);
        await teardown(existing, progress);
      }
      state.sysctls = await readSysctls(); // as they are without any real node
      await writeNodeState(state);
      return undefined;
    });
    if (!claimed) break;
    if (Date.now() >= deadline)
      throw new RealNodeError(
        'LSO_REALNODE_BUSY',
        `another real node (${claimed.plan.name}, owner pid ${claimed.owner.pid}) runs on this machine; ` +
          "one per machine, because its kube-proxy owns the machine's Service rules. Stop it (npm run cluster:down) or wait",
      );
    await new Promise((r) => setTimeout(r, 2_000));
  }
  const support = await realNodeSupport(binDir);
  if (!support.ok) {
    await rm(stateFile, { force: true }); // nothing was changed yet
    throw new RealNodeError('LSO_REALNODE_UNSUPPORTED', support.reasons.join('; '));
  }
  const p = paths(plan);

  const launch = async (component: string, exe: string, args: string[]): Promise<ProcessRecord> => {
    const started = await startProcess(component, exe, args, path.join(p.logs, `${component}.log`));
    state.processes.push(started.record);
    await writeNodeState(state);
    return started.record;
  };
  const waitFor = async (what: string, ms: number, check: () => Promise<string | undefined>) => {
    const until = Date.now() + ms;
    let last = 'not checked yet';
    for (;;) {
      for (const proc of state.processes)
        if (processState(proc) !== 'running')
          throw new RealNodeError(
            'LSO_REALNODE_START_FAILED',
            `${proc.name} exited while waiting for ${what}; last lines of its log:\n${logTail(path.join(p.logs, `${proc.name}.log`))}`,
          );
      last = (await check().catch((err: Error) => err.message)) ?? '';
      if (last === '') return;
      if (Date.now() > until)
        throw new RealNodeError(
          'LSO_REALNODE_START_FAILED',
          `timed out after ${seconds(ms)} waiting for ${what} (${last})`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  try {
    // Images first: the longest step, and it needs nothing of the node.
    let since = Date.now();
    const targets = [...(options.images ?? ['ingest', 'transcoder']), 'pause'] as ImageTarget[];
    const built = await buildImages({ targets, export: true, onProgress: (l) => progress(l) });
    const pause = built.images.find((i) => i.target === 'pause')!;
    plan.sandboxImage = pause.ref;
    mark('images built', since);

    since = Date.now();
    const corednsBin = await corednsBinary();
    mark('CoreDNS binary ready', since);

    for (const dir of [
      plan.dirs.state,
      p.logs,
      p.cniConfDir,
      p.ipamDir,
      p.kubeletRoot,
      p.kubeletCerts,
      path.join(dataDir, 'pki'),
    ])
      await mkdir(dir, { recursive: true, mode: 0o700 });
    await mkdir(plan.dirs.containerdRoot, { recursive: true });
    await writeFile(p.containerdConfig, containerdConfig(plan));
    await writeFile(path.join(p.cniConfDir, '10-livestream-realnode.conflist'), cniConfList(plan));
    await writeNodeState(state);

    since = Date.now();
    await createBridge(plan.bridge, plan.nodeIP, plan.podCidr);
    await isolatePods(plan.bridge);
    await launch('containerd', '/usr/bin/containerd', ['--config', p.containerdConfig]);
    await waitFor('containerd', 30_000, async () =>
      (await containerdAnswers(plan)) ? undefined : 'no answer on its socket',
    );
    await removeAllContainers(plan); // leftovers of an earlier run in the kept root
    mark('containerd ready', since);

    since = Date.now();
    const imported = await importImages(plan, built.images);
    mark(
      `images loaded into containerd (${imported.length ? imported.join(', ') : 'all already there'})`,
      since,
    );

    // Identities: the kubelet as system:node:<name> (Node authorizer), kube-proxy as system:kube-proxy
    // (bootstrap role system:node-proxier), CoreDNS with a read-only role of its own.
    const pkiDir = path.join(dataDir, 'pki');
    await issueNodeCredentials(cluster, name, pkiDir);
    await issueKubeconfig(cluster, { commonName: 'system:kube-proxy' }, pkiDir, 'kube-proxy');
    await issueKubeconfig(cluster, { commonName: corednsUser }, pkiDir, corednsUser);
    const rbac = await runKubectl(cluster.binDir, options.kubeconfigPath, ['apply', '-f', '-'], {
      input: corednsRbac,
    });
    if (rbac.code !== 0)
      throw new RealNodeError('LSO_REALNODE_START_FAILED', `applying CoreDNS's RBAC failed: ${rbac.stderr}`);
    await writeFile(p.kubeletConfig, kubeletConfig(plan));
    await writeFile(p.proxyConfig, kubeProxyConfig(plan));
    await writeFile(p.corefile, corefile(plan));

    since = Date.now();
    await launch('kubelet', path.join(binDir, 'kubelet'), [
      `--config=${p.kubeletConfig}`,
      `--kubeconfig=${plan.files.kubeletKubeconfig}`,
      `--root-dir=${p.kubeletRoot}`,
      `--cert-dir=${p.kubeletCerts}`,
      `--hostname-override=${name}`,
      `--node-ip=${plan.nodeIP}`,
      `--node-labels=${Object.entries(plan.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}`,
      '--v=1',
    ]);
    await waitFor(`Node ${name} Ready`, options.readyTimeoutMs ?? 120_000, async () => {
      const got = await runKubectl(cluster.binDir, options.kubeconfigPath, [
        'get',
        'node',
        name,
        '-o',
        'json',
      ]);
      if (got.code !== 0) return got.stderr.trim() || 'not registered yet';
      const node = JSON.parse(got.stdout) as {
        spec?: { taints?: { key: string }[] };
        status?: { conditions?: { type: string; status: string; message?: string }[] };
      };
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status !== 'True') return `Ready is ${ready?.status ?? 'absent'}: ${ready?.message ?? ''}`;
      if (node.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/not-ready'))
        return 'not-ready taint still on';
      return undefined;
    });
    const readyMs = Date.now() - since;
    state.readyMs = readyMs;
    mark(`Node ${name} Ready`, since);

    since = Date.now();
    await launch('kube-proxy', path.join(binDir, 'kube-proxy'), [`--config=${p.proxyConfig}`, '--v=1']);
    await launch('coredns', corednsBin, ['-conf', p.corefile]);
    await waitFor('kube-proxy and CoreDNS healthy', 60_000, async () => {
      const proxy = await httpStatus(`http://127.0.0.1:${plan.ports.proxyHealthz}/healthz`);
      if (proxy !== 200) return `kube-proxy /healthz ${proxy}`;
      const dns = await httpStatus(`http://127.0.0.1:${plan.ports.dnsHealth}/health`);
      return dns === 200 ? undefined : `CoreDNS /health ${dns}`;
    });
    mark('kube-proxy and CoreDNS ready', since);
    await writeNodeState(state);
    timings.total = Date.now() - t0;

    let stopping: Promise<StopReport> | undefined;
    let unhook = () => {};
    const stop = () => {
      unhook();
      return (stopping ??= stopRealNode(progress).then(
        (r) => r ?? { processes: [], restored: [], leftovers: [] },
      ));
    };
    return {
      name,
      nodeIP: plan.nodeIP,
      podCidr: plan.podCidr,
      images: built.images,
      readyMs,
      timings,
      stop,
      stopWhenProcessEnds() {
        const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
        const onExit = () => {
          if (!stopping) for (const proc of [...state.processes].reverse()) stopProcessSync(proc);
        };
        const onSignal = (sig: NodeJS.Signals) => {
          void stop().finally(() => process.kill(process.pid, sig));
        };
        process.on('exit', onExit);
        for (const sig of signals) process.on(sig, onSignal);
        unhook = () => {
          process.off('exit', onExit);
          for (const sig of signals) process.off(sig, onSignal);
        };
      },
    };
  } catch (err) {
    const report = await withMachineLock(() => teardown(state, progress)).catch(() => undefined);
    if (report?.leftovers.length)
      progress(`left behind after the failed start: ${report.leftovers.join('; ')}`);
    throw err;
  }
}

function httpStatus(url: string): Promise<number> {
  return fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.status,
    () => 0,
  );
}

/**
 * Undoes a real node whose owner is gone (a test run that was killed, a crash) and returns what it
 * did; leaves a node that is still in use alone. startRealNode does this itself; call it first to
 * see the machine as it was before that node (the tests do).
 */
export async function reapAbandonedRealNode(
  progress: (line: string) => void = () => {},
): Promise<StopReport | undefined> {
  return withMachineLock(async () => {
    const state = await readNodeState();
    if (!state || stillInUse(state)) return undefined;
    progress(`cleaning up a real node left by pid ${state.owner.pid}`);
    return teardown(state, progress);
  });
}

/**
 * Stops the real node recorded on this machine (if any) and undoes its changes; with
 * `kubeconfigPath`, only a node that joined that cluster (cluster:down leaves a test's node alone).
 */
export async function stopRealNode(
  progress: (line: string) => void = () => {},
  kubeconfigPath?: string,
): Promise<StopReport | undefined> {
  return withMachineLock(async () => {
    const state = await readNodeState();
    if (!state) return undefined;
    if (kubeconfigPath && path.resolve(state.cluster.kubeconfigPath) !== path.resolve(kubeconfigPath))
      return undefined;
    return teardown(state, progress);
  });
}

/**
 * Undoes everything a (possibly half-started or crashed) real node did: drains its pods through the
 * kubelet (so CNI releases their addresses), stops kube-proxy/CoreDNS/kubelet/containerd by pid,
 * kills what is left in containerd, unmounts, deletes the bridge, the iptables chains and the
 * kubepods cgroups, restores the kernel settings, deletes the Node, and removes its folders.
 */
async function teardown(state: RealNodeState, progress: (line: string) => void): Promise<StopReport> {
  const { plan } = state;
  const p = paths(plan);
  const report: StopReport = { processes: [], restored: [], leftovers: [] };
  const kubectl = (args: string[], timeoutMs = 30_000) =>
    runKubectl(state.cluster.binDir, state.cluster.kubeconfigPath, args, { timeoutMs });
  const byName = (n: string) => state.processes.find((proc) => proc.name === n);
  const kubeletRunning = byName('kubelet') && processState(byName('kubelet')!) === 'running';
  const apiAnswers = (await kubectl(['get', '--raw', '/readyz'], 5_000)).code === 0;

  // 1. Drain: no new pods, and the kubelet stops the ones it has (CNI DEL releases their addresses).
  if (kubeletRunning && apiAnswers) {
    await kubectl(['cordon', plan.name]);
    await kubectl([
      'delete',
      'pods',
      '--all-namespaces',
      '--field-selector',
      `spec.nodeName=${plan.name}`,
      '--grace-period=0',
      '--force',
      '--wait=false',
    ]);
    const until = Date.now() + 30_000;
    while (Date.now() < until && (await taskIds(plan).catch(() => [])).length > 0)
      await new Promise((r) => setTimeout(r, 500));
  }

  // 2. Processes, newest first: coredns, kube-proxy, kubelet, containerd.
  for (const proc of [...state.processes].reverse()) {
    if (proc.name === 'containerd' && (await containerdAnswers(plan))) await removeAllContainers(plan);
    report.processes.push({ name: proc.name, outcome: await stopProcess(proc, { graceMs: 10_000 }) });
  }
  // Shims of containers that outlived containerd (they hold our socket path in their arguments).
  for (const pid of await shimPids(p.containerdSocket)) {
    await succeeds(['kill', '-KILL', String(pid)]);
    report.leftovers.push(`killed a containerd shim (pid ${pid})`);
  }

  // 3. The machine: iptables, mounts, bridge, cgroups, kernel settings.
  // Only when this node's kubelet or kube-proxy ran: support.ts refuses machines with chains of
  // their own, and a node that never got that far created none.
  if (state.processes.some((proc) => proc.name === 'kubelet' || proc.name === 'kube-proxy')) {
    await succeeds([path.join(state.cluster.binDir, 'kube-proxy'), '--cleanup'], { timeoutMs: 60_000 });
    await removeKubernetesChains();
  }
  await removePodIsolation(plan.bridge);
  for (const dir of [plan.dirs.state, plan.dirs.data, plan.dirs.containerdRoot]) {
    const still = await unmountAll(dir);
    report.leftovers.push(...still.map((m) => `still mounted: ${m}`));
  }
  await deleteBridge(plan.bridge).catch((err: Error) =>
    report.leftovers.push(`bridge ${plan.bridge}: ${err.message}`),
  );
  const cgroups = await removeKubepodsCgroups();
  report.leftovers.push(...cgroups.slice(0, 5).map((c) => `cgroup ${c}`));
  report.restored = await restoreSysctls(state.sysctls);

  // 4. The cluster's side: the Node object and CoreDNS's RBAC.
  if (apiAnswers) {
    await kubectl(['delete', 'node', plan.name, '--ignore-not-found', '--wait=false']);
    await kubectl(['delete', 'clusterrolebinding,clusterrole', corednsUser, '--ignore-not-found']);
  }

  // 5. Files (never while something is still mounted below them). The components' logs go first to
  // $LIVESTREAM_REALNODE_LOGS when set (CI keeps them as artifacts).
  const keepLogs = process.env.LIVESTREAM_REALNODE_LOGS;
  if (keepLogs) {
    await cp(p.logs, path.join(keepLogs, `${plan.name}-${state.startedAt.replace(/[:.]/g, '-')}`), {
      recursive: true,
    }).catch((err: Error) => progress(`could not keep the logs in ${keepLogs}: ${err.message}`));
  }
  for (const dir of [plan.dirs.state, plan.dirs.data]) {
    if (report.leftovers.some((l) => l.startsWith(`still mounted: ${dir}`))) continue;
    await rm(dir, { recursive: true, force: true });
  }
  await rm(stateFile, { force: true });
  if (report.restored.length) progress(`restored kernel settings: ${report.restored.join(', ')}`);
  return report;
}

/** containerd-shim-runc-v2 processes started for the containerd listening on `socket`. */
async function shimPids(socket: string): Promise<number[]> {
  const out = await run(['ps', '-eo', 'pid=,args=']).catch(() => ({ stdout: '' }));
  return out.stdout
    .split('\n')
    .filter((l) => l.includes('containerd-shim') && l.includes(socket))
    .map((l) => Number(l.trim().split(/\s+/)[0]))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

export { realNodeSupport };
