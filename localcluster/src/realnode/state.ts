// What a running real node records about itself (realnode.json in its state dir), so a later process
// can stop it (cluster:down after cluster:up --real-node) or clean up after a run that died.
// One real node per machine: its kube-proxy owns this machine's Service rules.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { acquireLock } from '../state.js';
import { pidAlive, processState, type ProcessRecord } from '../processes.js';
import type { NodePlan } from './plan.js';

/** Machine-wide: the lock and the one real node's state live here. */
export const machineDir = '/run/livestream-operator/realnode';
export const stateFile = path.join(machineDir, 'realnode.json');
/** Each node's kubelet root, configs, certificates and logs: <nodeDataRoot>/<name> (removed on stop). */
export const nodeDataRoot = '/var/lib/livestream-operator/realnode';

export interface RealNodeState {
  version: 1;
  plan: NodePlan;
  /** The cluster the node joined (its admin kubeconfig and kubectl). */
  cluster: { kubeconfigPath: string; binDir: string };
  owner: { pid: number; detached: boolean };
  /** In start order; stopped in reverse. */
  processes: ProcessRecord[];
  /** Kernel settings as they were before the node started (host.ts watchedSysctls). */
  sysctls: Record<string, string>;
  startedAt: string;
  readyMs?: number;
}

export async function readNodeState(): Promise<RealNodeState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile, 'utf8')) as RealNodeState;
  } catch {
    return undefined;
  }
}

export async function writeNodeState(state: RealNodeState): Promise<void> {
  await mkdir(machineDir, { recursive: true });
  await writeFile(`${stateFile}.tmp`, JSON.stringify(state, null, 2) + '\n');
  await rename(`${stateFile}.tmp`, stateFile);
}

/** Whether a recorded node is still someone's: its owner lives, or it was detached and still runs. */
export function stillInUse(state: RealNodeState): boolean {
  if (!state.owner.detached && pidAlive(state.owner.pid)) return true;
  return state.owner.detached && state.processes.some((p) => processState(p) === 'running');
}

/** Runs `fn` holding the machine's real-node lock (a short critical section: check and record). */
export async function withMachineLock<T>(fn: () => Promise<T>): Promise<T> {
  let release: (() => Promise<void>) | undefined;
  for (const until = Date.now() + 60_000; !release;) {
    try {
      release = await acquireLock(machineDir);
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    await release();
  }
}
