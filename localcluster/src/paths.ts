// Where the local cluster's files live: found from this file's location, so the launcher works from
// the source tree (tsx) and from dist/ alike, whatever the current directory is.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && existsSync(path.join(dir, 'localcluster', 'go'))) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'livestream-operator') return dir;
    }
    if (path.dirname(dir) === dir) throw new Error(`no livestream-operator checkout above ${start}`);
  }
}

export const repoRoot = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));
export const localclusterDir = path.join(repoRoot, 'localcluster');
export const poolsDir = path.join(localclusterDir, 'pools');
export const kwokStagesFile = path.join(localclusterDir, 'kwok', 'stages.yaml');
export const kwokConfigFile = path.join(localclusterDir, 'kwok', 'kwok.yaml');
export const buildScript = path.join(localclusterDir, 'scripts', 'build.sh');

/** The folder `npm run cluster:up` records its cluster in (state.json, kubeconfig). */
export function clusterStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LIVESTREAM_CLUSTER_DIR
    ? path.resolve(env.LIVESTREAM_CLUSTER_DIR)
    : path.join(repoRoot, '.cluster');
}
