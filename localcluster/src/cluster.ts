// Starts and stops one local control plane: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and kwok on free 127.0.0.1 ports, with fresh certificates and a temporary data dir;
// then the pool's Nodes, until every one is Ready. Every wait has a deadline. A failure or an abort
// (Ctrl-C) mid-start stops what had started, in reverse order, and removes the data dir.
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AdminApi, adminTls, httpGet } from './api.js';
import { resolveBinDir } from './binaries.js';
import {
  componentArgs,
  componentLogFile,
  defaultClientLimits,
  etcdArgs,
  kubernetesServiceIP,
  startOrder,
  type ClientLimits,
  type ComponentName,
  type ComponentPlan,
} from './components.js';
import { ClusterError } from './errors.js';
import { renderKubeconfig } from './kubeconfig.js';
import { kwokConfigFile, kwokStagesFile } from './paths.js';
import { createPki, type CertPair } from './pki.js';
import { loadPools, renderNodes, type NodeObject } from './pools.js';
import { ensurePortFree, freePorts } from './ports.js';
import {
  logTail,
  ownStartTime,
  processState,
  sameProcessAlive,
  startProcess,
  stopProcess,
  stopProcessSync,
  type StopOutcome,
} from './processes.js';
import { readState, writeState, type ClusterState } from './state.js';

export const dataDirPrefix = 'livestream-cluster-';
const lifecycleTaints = new Set(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']);

export interface StartOptions {
  /** Pool file name (in localcluster/pools) or path; default $LIVESTREAM_POOLS or "default". */
  pools?: string;
  /** kube-controller-manager and kube-scheduler client rate limits (kwok's client is not rate-limited). */
  clientLimits?: ClientLimits;
  /** A fixed API server port instead of a free one. */
  apiserverPort?: number;
  /** Where the API server listens and what it advertises (default 127.0.0.1); see docs/localcluster.md for a real node. */
  bindAddress?: string;
  advertiseAddress?: string;
  /** More IPs the serving certificate must cover (for example an address a real node uses). */
  extraServerIPs?: string[];
  /** Where to write the admin kubeconfig (default: <data dir>/kubeconfig). */
  kubeconfigPath?: string;
  /** True for `cluster:up`: the cluster outlives the process that started it. */
  detached?: boolean;
  /** Deadline for the whole start, from launch to all nodes Ready. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Progress lines ("etcd ready after 0.8 s"). */
  progress?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface StopReport {
  processes: { name: string; pid: number; outcome: StopOutcome }[];
  removed: string;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A cluster this process started (or reattached to from its state file). */
export class RunningCluster {
  private stopping: Promise<StopReport> | undefined;
  private exitHook: (() => void) | undefined;

  constructor(readonly state: ClusterState) {}

  get kubeconfigPath(): string {
    return this.state.kubeconfigPath;
  }
  get binDir(): string {
    return this.state.binDir;
  }

  /** Stops every process in reverse start order (waiting for each) and removes the data dir. Idempotent. */
  stop(): Promise<StopReport> {
    this.stopping ??= stopRecorded(this.state);
    this.removeExitHook();
    return this.stopping;
  }

  /**
   * Stops kube-apiserver (SIGTERM, SIGKILL after `graceMs`) and starts it again with the same
   * arguments, port and data, then waits for /readyz: what clients see when a control plane is
   * upgraded or restarted. The new pid replaces the old one in the state, so stop() ends it.
   */
  async restartApiServer(options: { graceMs?: number; timeoutMs?: number } = {}): Promise<void> {
    const index = this.state.processes.findIndex((p) => p.name === 'kube-apiserver');
    const old = this.state.processes[index];
    if (!old?.args)
      throw new ClusterError('LSO_CLUSTER_START_FAILED', 'no restartable kube-apiserver is recorded');
    await stopProcess(old, { graceMs: options.graceMs ?? 10_000 });
    const started = await startProcess(
      old.name,
      old.exe,
      old.args,
      componentLogFile(this.state.dataDir, 'kube-apiserver'),
    );
    this.state.processes[index] = started.record;
    await writeState(this.state.dataDir, this.state);
    const api = new AdminApi(this.state.server, await adminTls(this.state.dataDir));
    const deadline = Date.now() + (options.timeoutMs ?? 90_000);
    let exited: string | undefined;
    void started.exited.then((how) => (exited = how));
    try {
      for (;;) {
        if (exited)
          throw new ClusterError(
            'LSO_CLUSTER_START_FAILED',
            `kube-apiserver exited (${exited}) after a restart`,
          );
        const problem = await readyzProblem(api).catch((err: Error) => err.message);
        if (problem === undefined) return;
        if (Date.now() > deadline)
          throw new ClusterError(
            'LSO_CLUSTER_START_FAILED',
            `kube-apiserver not ready after a restart (${problem})`,
          );
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      api.close();
    }
  }

  /**
   * For clusters owned by a test run: stop them even when the process ends without calling stop()
   * (process.exit, an uncaught error) or is interrupted (SIGINT, SIGTERM, SIGHUP).
   */
  stopWhenProcessEnds(): void {
    if (this.exitHook) return;
    const onExit = () => {
      if (this.stopping) return;
      for (const p of [...this.state.processes].reverse()) stopProcessSync(p);
      rmSync(this.state.dataDir, { recursive: true, force: true }); // nothing async runs any more
    };
    const onSignal = (sig: NodeJS.Signals) => {
      void this.stop().finally(() => {
        process.off('exit', onExit);
        for (const s of signals) process.off(s, onSignal);
        process.kill(process.pid, sig);
      });
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    process.on('exit', onExit);
    for (const s of signals) process.on(s, onSignal);
    this.exitHook = () => {
      process.off('exit', onExit);
      for (const s of signals) process.off(s, onSignal);
    };
  }

  private removeExitHook(): void {
    this.exitHook?.();
    this.exitHook = undefined;
  }
}

/** Stops the processes a state records (never a reused pid) and removes the data dir. */
export async function stopRecorded(state: ClusterState): Promise<StopReport> {
  const report: StopReport = { processes: [], removed: state.dataDir };
  for (const p of [...state.processes].reverse()) {
    report.processes.push({ name: p.name, pid: p.pid, outcome: await stopProcess(p) });
  }
  await rm(state.dataDir, { recursive: true, force: true });
  return report;
}

/** Why kube-apiserver is not ready (its failing checks), undefined when it is. */
async function readyzProblem(api: AdminApi, timeoutMs = 3_000): Promise<string | undefined> {
  const res = await api.request('GET', '/readyz', undefined, timeoutMs);
  if (res.status === 200) return undefined;
  const failing = res.body.split('\n').filter((l) => l.includes('[-]'));
  return `/readyz answered ${res.status}: ${failing.length ? failing.join(', ') : res.body.trim().slice(-300)}`;
}

/** Reasons a recorded cluster is not healthy (empty when it is): processes and /readyz. */
export async function healthProblems(state: ClusterState): Promise<string[]> {
  const problems: string[] = [];
  for (const p of state.processes) {
    const s = processState(p);
    if (s !== 'running')
      problems.push(`${p.name} (pid ${p.pid}) is ${s === 'gone' ? 'not running' : 'gone (pid reused)'}`);
  }
  if (state.processes.length < startOrder.length) problems.push('the cluster never finished starting');
  if (problems.length > 0) return problems;
  try {
    const api = new AdminApi(state.server, await adminTls(state.dataDir));
    const problem = await readyzProblem(api, 5_000).finally(() => api.close());
    if (problem) problems.push(`kube-apiserver ${problem}`);
  } catch (err) {
    problems.push(`kube-apiserver at ${state.server} does not answer: ${(err as Error).message}`);
  }
  return problems;
}

/**
 * Clusters left by test runs whose process died without stopping them (SIGKILL, a crash): stop their
 * processes (verified by start time and command) and remove their data dirs. Detached clusters
 * (`cluster:up`) are left alone while any of their processes runs, and every cluster while the
 * process that started it runs.
 */
export async function reapOrphans(tmp = os.tmpdir()): Promise<string[]> {
  const notes: string[] = [];
  let entries: string[];
  try {
    entries = (await readdir(tmp)).filter((e) => e.startsWith(dataDirPrefix));
  } catch {
    return notes;
  }
  for (const entry of entries) {
    const dir = path.join(tmp, entry);
    const state = await readState(dir).catch(() => undefined);
    if (!state) continue;
    // An owner that still runs may be starting its cluster right now: never touch that one.
    if (sameProcessAlive(state.owner.pid, state.owner.startTime)) continue;
    // cluster:up's owner exits on purpose; its cluster is an orphan only once nothing of it runs.
    if (state.owner.detached && state.processes.some((p) => processState(p) === 'running')) continue;
    await stopRecorded(state);
    notes.push(`removed a cluster left behind by pid ${state.owner.pid} (${dir})`);
  }
  return notes;
}

class StartFailure extends ClusterError {
  constructor(message: string) {
    super('LSO_CLUSTER_START_FAILED', message);
  }
}

/** Starts a cluster and returns when every node is Ready. On failure nothing is left behind. */
export async function startCluster(options: StartOptions = {}): Promise<RunningCluster> {
  const env = options.env ?? process.env;
  const progress = options.progress ?? (() => {});
  const timeoutMs = options.timeoutMs ?? 180_000;
  const signal = options.signal;

  for (const note of await reapOrphans()) progress(note);
  const pools = await loadPools(options.pools ?? env.LIVESTREAM_POOLS ?? 'default');
  const nodes = renderNodes(pools.pools);
  signal?.throwIfAborted();
  const binDir = await resolveBinDir({ env });
  signal?.throwIfAborted();
  // The clock starts once the binaries are there: waiting for another process's build (minutes) is
  // not the start being slow.
  const launchedAt = Date.now();
  const deadline = launchedAt + timeoutMs;

  const bindAddress = options.bindAddress ?? '127.0.0.1';
  const advertiseAddress =
    options.advertiseAddress ?? (bindAddress === '0.0.0.0' ? '127.0.0.1' : bindAddress);
  let apiserverPort = options.apiserverPort;
  if (apiserverPort !== undefined) await ensurePortFree(apiserverPort, bindAddress, 'kube-apiserver');
  const [etcdClient, etcdPeer, freeApiserver] = await freePorts(3);
  apiserverPort ??= freeApiserver!;
  const ports = { etcdClient: etcdClient!, etcdPeer: etcdPeer!, apiserver: apiserverPort };

  const dataDir = await mkdtemp(path.join(os.tmpdir(), dataDirPrefix));
  const server = `https://${advertiseAddress}:${ports.apiserver}`;
  const state: ClusterState = {
    version: 1,
    dataDir,
    kubeconfigPath: options.kubeconfigPath ?? path.join(dataDir, 'kubeconfig'),
    server,
    binDir,
    poolsFile: pools.path,
    nodeCount: nodes.length,
    ports,
    owner: { pid: process.pid, startTime: ownStartTime(), detached: options.detached ?? false },
    processes: [],
    startedAt: new Date(launchedAt).toISOString(),
  };
  let exitedComponent: { name: ComponentName; how: string } | undefined;
  let api: AdminApi | undefined;

  try {
    await writeState(dataDir, state);
    const pkiDir = path.join(dataDir, 'pki');
    await mkdir(pkiDir, { mode: 0o700 });
    await mkdir(path.join(dataDir, 'logs'));
    const launch = async (name: ComponentName, args: string[]) => {
      signal?.throwIfAborted();
      const started = await startProcess(
        name,
        path.join(binDir, name),
        args,
        componentLogFile(dataDir, name),
      );
      state.processes.push(started.record);
      await writeState(dataDir, state);
      void started.exited.then((how) => (exitedComponent ??= { name, how }));
    };
    // etcd needs no certificates (plain HTTP on loopback): it starts while they are made.
    await launch('etcd', etcdArgs(dataDir, ports));

    const extraIPs = [...new Set([bindAddress, advertiseAddress, ...(options.extraServerIPs ?? [])])].filter(
      (ip) => ip !== '0.0.0.0' && ip !== '127.0.0.1',
    );
    const pki = await createPki(pkiDir, { serverIPs: ['127.0.0.1', kubernetesServiceIP, ...extraIPs] });
    const tls = await adminTls(dataDir);
    const client = new AdminApi(server, tls);
    api = client;
    const kubeconfigFor = async (name: string, user: string, pair: CertPair, file: string) => {
      const text = renderKubeconfig({
        clusterName: name,
        server,
        userName: user,
        caPem: tls.ca,
        clientCertPem: await readFile(pair.cert, 'utf8'),
        clientKeyPem: await readFile(pair.key, 'utf8'),
      });
      await writeFile(file, text, { mode: 0o600 });
      return file;
    };
    const kubeconfigs = {
      controllerManager: await kubeconfigFor('local', 'kube-controller-manager', pki.controllerManager, path.join(pkiDir, 'kube-controller-manager.kubeconfig')),
      scheduler: await kubeconfigFor('local', 'kube-scheduler', pki.scheduler, path.join(pkiDir, 'kube-scheduler.kubeconfig')),
      kwok: await kubeconfigFor('local', 'kwok', pki.kwok, path.join(pkiDir, 'kwok.kubeconfig')),
    }; // prettier-ignore
    await mkdir(path.dirname(state.kubeconfigPath), { recursive: true });
    await kubeconfigFor('livestream-local', 'livestream-admin', pki.admin, state.kubeconfigPath);
    progress(`certificates and kubeconfigs made after ${seconds(Date.now() - launchedAt)}`);

    const plan: ComponentPlan = {
      dataDir,
      bindAddress,
      advertiseAddress,
      ports,
      pki,
      kubeconfigs,
      kwokStagesFile,
      kwokConfigFile,
      clientLimits: options.clientLimits ?? defaultClientLimits,
    };

    /** Polls `check` (undefined = ready, else the reason not yet) until the deadline, a component exits, or abort. */
    const waitUntil = async (what: string, check: () => Promise<string | undefined>, stepMs: number) => {
      const since = Date.now();
      const stepDeadline = Math.min(deadline, since + stepMs);
      let reason = 'not checked yet';
      for (;;) {
        signal?.throwIfAborted();
        if (exitedComponent) {
          const log = componentLogFile(dataDir, exitedComponent.name);
          throw new StartFailure(
            `${exitedComponent.name} exited (${exitedComponent.how}) while waiting for ${what}. Last lines of its log:\n${logTail(log)}`,
          );
        }
        try {
          reason = (await check()) ?? '';
          if (env.LIVESTREAM_CLUSTER_DEBUG)
            progress(`  ${seconds(Date.now() - launchedAt)} ${what}: ${reason || 'ok'}`);
          if (reason === '') {
            progress(`${what} after ${seconds(Date.now() - launchedAt)}`);
            return;
          }
        } catch (err) {
          reason = (err as Error).message;
        }
        if (Date.now() >= stepDeadline) {
          throw new StartFailure(
            `timed out after ${seconds(Date.now() - since)} waiting for ${what} (last: ${reason.slice(0, 500)}). ` +
              'The machine may be overloaded (see uptime); the last log lines of each component follow',
          );
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    };

    await waitUntil(
      'etcd healthy',
      async () => {
        const res = await httpGet(`http://127.0.0.1:${ports.etcdClient}/health`);
        return res.status === 200 && res.body.includes('"true"')
          ? undefined
          : `etcd /health: ${res.status} ${res.body}`;
      },
      30_000,
    );

    await launch('kube-apiserver', componentArgs('kube-apiserver', plan));
    await waitUntil('kube-apiserver ready', () => readyzProblem(client), 90_000);

    for (const name of ['kube-controller-manager', 'kube-scheduler', 'kwok'] as const)
      await launch(name, componentArgs(name, plan));

    await createNodes(client, nodes, signal);
    progress(`created ${nodes.length} nodes from ${pools.path} after ${seconds(Date.now() - launchedAt)}`);

    await waitUntil(
      `all ${nodes.length} nodes Ready`,
      async () => {
        const list = await client.json<NodeList>('GET', '/api/v1/nodes?labelSelector=type%3Dkwok');
        if (list.items.length < nodes.length) return `${list.items.length} of ${nodes.length} nodes exist`;
        const notReady = list.items.filter(
          (n) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True',
        );
        if (notReady.length > 0)
          return `${notReady.length} not Ready yet (${notReady[0]?.metadata?.name}, ...)`;
        // The node-lifecycle controller removes these taints a monitor period after Ready.
        const tainted = list.items.filter((n) => n.spec?.taints?.some((t) => lifecycleTaints.has(t.key)));
        if (tainted.length > 0)
          return `${tainted.length} still tainted not-ready (${tainted[0]?.metadata?.name}, ...)`;
        return undefined;
      },
      120_000,
    );
    await waitUntil(
      'kube-controller-manager working (default ServiceAccount made)',
      async () => {
        await client.json('GET', '/api/v1/namespaces/default/serviceaccounts/default');
        return undefined;
      },
      60_000,
    );

    client.close();
    state.readyMs = Date.now() - launchedAt;
    await writeState(dataDir, state);
    return new RunningCluster(state);
  } catch (err) {
    api?.close();
    // Leave nothing behind: stop what started (reverse order), remove the data dir and kubeconfig.
    // The logs go with the data dir, so what they say is read first.
    const crashed = exitedComponent;
    const crashLog = crashed ? logTail(componentLogFile(dataDir, crashed.name)) : '';
    const tails = state.processes
      .map((p) => componentLogFile(dataDir, p.name as ComponentName))
      .map((l) => `--- ${path.basename(l)}\n${logTail(l, 5)}`)
      .join('\n');
    await stopRecorded(state).catch(() => undefined);
    if (options.kubeconfigPath) await rm(options.kubeconfigPath, { force: true });
    if (signal?.aborted)
      throw signal.reason instanceof Error ? signal.reason : new Error('start interrupted');
    if (crashed && !(err instanceof StartFailure))
      throw new StartFailure(
        `${crashed.name} exited (${crashed.how}) during the start (${(err as Error).message}). Last lines of its log:\n${crashLog}`,
      );
    if (err instanceof StartFailure && err.message.startsWith('timed out'))
      err.message = `${err.message}\n${tails}`;
    throw err;
  }
}

/** What the launcher reads of a NodeList. */
interface NodeList {
  items: {
    metadata?: { name?: string };
    spec?: { taints?: { key: string }[] };
    status?: { conditions?: { type: string; status: string }[] };
  }[];
}

async function createNodes(api: AdminApi, nodes: NodeObject[], signal?: AbortSignal): Promise<void> {
  const queue = [...nodes];
  const worker = async () => {
    for (let node = queue.shift(); node; node = queue.shift()) {
      signal?.throwIfAborted();
      await api.json('POST', '/api/v1/nodes', node);
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, nodes.length) }, worker));
}

/**
 * startCluster for a process that owns the cluster (a test run, the demo): Ctrl-C (SIGINT, SIGTERM,
 * SIGHUP) during the start stops what had started and removes its data, then ends the process with
 * that signal as usual; after the start, the cluster is stopped whenever the process ends.
 */
export async function startOwnedCluster(
  options: Omit<StartOptions, 'signal' | 'detached'> = {},
): Promise<RunningCluster> {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    received = sig;
    controller.abort(
      new ClusterError('LSO_CLUSTER_START_FAILED', `interrupted (${sig}) while starting the local cluster`),
    );
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  try {
    const cluster = await startCluster({ ...options, signal: controller.signal });
    cluster.stopWhenProcessEnds();
    return cluster;
  } finally {
    for (const s of signals) process.off(s, onSignal);
    if (received) process.kill(process.pid, received);
  }
}
