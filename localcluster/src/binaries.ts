// Finds the control plane's binaries: the per-version cache that localcluster/scripts/build.sh fills
// from the pinned Go modules, or (envtest's convention) KUBEBUILDER_ASSETS plus whatever it lacks.
// Builds only when something is missing; the build's progress goes to stderr.
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClusterError } from './errors.js';
import { buildScript, localclusterDir } from './paths.js';

/** What the launcher runs (kubelet and kube-proxy are built too, for a real node, but not needed here). */
export const launcherComponents = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'kwok',
] as const;

export interface PinnedVersions {
  kubernetes: string;
  etcd: string;
  kwok: string;
}

export function pinnedVersions(): PinnedVersions {
  const read = (dir: string, module: string): string => {
    const gomod = readFileSync(path.join(localclusterDir, 'go', dir, 'go.mod'), 'utf8');
    const m = new RegExp(`^require ${module.replace(/[.]/g, '\\.')} (v\\S+)$`, 'm').exec(gomod);
    if (!m?.[1]) throw new Error(`localcluster/go/${dir}/go.mod does not require ${module}`);
    return m[1];
  };
  return {
    kubernetes: read('kubernetes', 'k8s.io/kubernetes'),
    etcd: read('etcd', 'go.etcd.io/etcd/server/v3'),
    kwok: read('kwok', 'sigs.k8s.io/kwok'),
  };
}

function cacheRoot(env: NodeJS.ProcessEnv): string {
  if (env.LIVESTREAM_CACHE_DIR) return path.resolve(env.LIVESTREAM_CACHE_DIR);
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'livestream-operator');
}

/** The folder build.sh installs this checkout's pinned versions into. */
export function versionCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const v = pinnedVersions();
  return path.join(cacheRoot(env), 'bin', `kubernetes-${v.kubernetes}-etcd-${v.etcd}-kwok-${v.kwok}`);
}

function allExecutable(dir: string, names: readonly string[]): boolean {
  return names.every((name) => {
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The folder holding every binary the launcher runs (`binDir/kubectl` is the matching v1.36 kubectl).
 * Builds what is missing (minutes; about 15 the first time), unless `build` is false.
 */
export async function resolveBinDir(
  options: { env?: NodeJS.ProcessEnv; build?: boolean } = {},
): Promise<string> {
  const env = options.env ?? process.env;
  if (!env.KUBEBUILDER_ASSETS) {
    const dir = versionCacheDir(env);
    if (allExecutable(dir, launcherComponents)) return dir;
  }
  if (options.build === false) {
    throw new ClusterError(
      'LSO_CLUSTER_BINARIES_MISSING',
      `the local control plane's binaries are not built (looked in ${versionCacheDir(env)}); run localcluster/scripts/build.sh or tools/setup.sh`,
    );
  }
  return runBuild(env);
}

async function runBuild(env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(buildScript, [...launcherComponents], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let tail = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    tail = (tail + chunk.toString()).slice(-2000);
  });
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  const lastLines = tail.trim().split('\n').slice(-3).join('\n');
  if (code === 2) throw new ClusterError('LSO_CLUSTER_BINARIES_MISSING', lastLines);
  if (code !== 0)
    throw new ClusterError(
      'LSO_CLUSTER_BUILD_FAILED',
      `building the local control plane failed (${buildScript} exited with ${code}):\n${lastLines}`,
    );
  const dir = stdout.trim().split('\n').pop() ?? '';
  if (!allExecutable(dir, launcherComponents))
    throw new ClusterError(
      'LSO_CLUSTER_BUILD_FAILED',
      `${buildScript} printed "${dir}", which lacks some of ${launcherComponents.join(', ')}`,
    );
  return dir;
}
