// The real node's own binaries: kubelet and kube-proxy come from the control plane's build
// (localcluster/scripts/build.sh, same Kubernetes module), CoreDNS from its pinned module here.
import { readFileSync } from 'node:fs';
import { access, constants, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildScript } from '../paths.js';
import { run } from './exec.js';

const corednsModule = fileURLToPath(new URL('./coredns', import.meta.url));

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LIVESTREAM_CACHE_DIR) return path.resolve(env.LIVESTREAM_CACHE_DIR);
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'livestream-operator');
}

const exists = (file: string) =>
  access(file, constants.X_OK).then(
    () => true,
    () => false,
  );

/** The folder with kubelet and kube-proxy (built on first use; minutes). */
export async function kubernetesNodeBinaries(): Promise<string> {
  const { stdout } = await run([buildScript, 'kubelet', 'kube-proxy'], { timeoutMs: 30 * 60_000 });
  const dir = stdout.trim().split('\n').pop() ?? '';
  for (const bin of ['kubelet', 'kube-proxy'])
    if (!(await exists(path.join(dir, bin))))
      throw new Error(`${buildScript} did not build ${bin} into ${dir}`);
  return dir;
}

export function corednsVersion(): string {
  const gomod = readFileSync(path.join(corednsModule, 'go.mod'), 'utf8');
  const m = /^require github\.com\/coredns\/coredns (v\S+)$/m.exec(gomod);
  if (!m?.[1]) throw new Error(`${corednsModule}/go.mod does not require github.com/coredns/coredns`);
  return m[1];
}

/** CoreDNS with the plugins the node's DNS needs (coredns/main.go), built once per version. */
export async function corednsBinary(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const version = corednsVersion();
  const dir = path.join(cacheRoot(env), 'bin', `coredns-${version}`);
  const bin = path.join(dir, 'coredns');
  if (await exists(bin)) return bin;
  await mkdir(dir, { recursive: true });
  // flock: one build at a time across checkouts; the second waits, then finds the binary.
  const script =
    `[ -x "$1/coredns" ] && exit 0; cd "$2" && CGO_ENABLED=0 nice -n 10 go build -trimpath ` +
    `-ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$3" -o "$1/.coredns.tmp" . && mv "$1/.coredns.tmp" "$1/coredns"`;
  await run(['flock', path.join(dir, '.lock'), 'sh', '-c', script, 'sh', dir, corednsModule, version], {
    timeoutMs: 30 * 60_000,
  });
  return bin;
}
