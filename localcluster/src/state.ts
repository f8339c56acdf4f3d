// What a running cluster records about itself (state.json): where its files are, which processes are
// its own (pid + start time + binary), and who owns it. Every cluster keeps one in its data dir; the
// one `npm run cluster:up` starts is also recorded in .cluster/ with its kubeconfig.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ClusterError } from './errors.js';
import type { ProcessRecord } from './processes.js';
import { pidAlive, processState } from './processes.js';

export interface ClusterState {
  version: 1;
  dataDir: string;
  kubeconfigPath: string;
  server: string;
  binDir: string;
  poolsFile: string;
  nodeCount: number;
  ports: { etcdClient: number; etcdPeer: number; apiserver: number };
  /** The process that started the cluster; `detached` clusters (cluster:up) outlive it on purpose. */
  owner: { pid: number; startTime: number; detached: boolean };
  /** In start order; stop in reverse. */
  processes: ProcessRecord[];
  startedAt: string;
  /** Milliseconds from launch to all nodes Ready; absent while starting. */
  readyMs?: number;
}

export const stateFileName = 'state.json';

export async function writeState(dir: string, state: ClusterState): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, stateFileName);
  await writeFile(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n');
  await rename(`${file}.tmp`, file);
}

export async function readState(dir: string): Promise<ClusterState | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, stateFileName), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const state = JSON.parse(text) as ClusterState;
    if (state.version !== 1 || !Array.isArray(state.processes)) throw new Error('unknown layout');
    return state;
  } catch (err) {
    throw new ClusterError(
      'LSO_CLUSTER_BROKEN',
      `${path.join(dir, stateFileName)} is not a cluster state file (${(err as Error).message}); remove ${dir} and try again`,
    );
  }
}

export type Liveness = 'all running' | 'none running' | 'partly running';

export function liveness(state: ClusterState): { liveness: Liveness; running: string[]; gone: string[] } {
  const running: string[] = [];
  const gone: string[] = [];
  for (const p of state.processes) (processState(p) === 'running' ? running : gone).push(p.name);
  const all = state.processes.length > 0 && gone.length === 0;
  return {
    liveness: all ? 'all running' : running.length === 0 ? 'none running' : 'partly running',
    running,
    gone,
  };
}

/**
 * An exclusive lock file (one `cluster:up`/`cluster:down` at a time). A lock left by a dead process is
 * taken over; a live holder gives a clear error instead of a wait.
 */
export async function acquireLock(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx' });
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && pidAlive(holder))
        throw new ClusterError(
          'LSO_CLUSTER_BUSY',
          `another cluster command (pid ${holder}) is starting or stopping the local cluster; wait for it, or stop it (kill ${holder})`,
        );
      await rm(file, { force: true }); // left by a process that is gone
    }
  }
  throw new ClusterError(
    'LSO_CLUSTER_BUSY',
    `cannot take the lock ${file}; remove it if no cluster command is running`,
  );
}
