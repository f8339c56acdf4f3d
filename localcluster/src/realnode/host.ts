// What a real node changes on this machine, and how each change is undone: the bridge with the node's
// address, a firewall rule that keeps pods off every other network, kernel settings the kubelet and
// kube-proxy set, iptables chains, mounts under the node's folders and the kubepods cgroups.
import { readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run, succeeds } from './exec.js';

// ---- the bridge and the node address ----

/** Creates the pods' bridge with the node's address (the kubelet needs the address before it starts). */
export async function createBridge(bridge: string, nodeIP: string, podCidr: string): Promise<void> {
  const prefix = podCidr.split('/')[1];
  if (!(await succeeds(['ip', 'link', 'show', 'dev', bridge])))
    await run(['ip', 'link', 'add', bridge, 'type', 'bridge']);
  const addrs = (await run(['ip', '-o', '-4', 'addr', 'show', 'dev', bridge])).stdout;
  if (!addrs.includes(` ${nodeIP}/`)) await run(['ip', 'addr', 'add', `${nodeIP}/${prefix}`, 'dev', bridge]);
  await run(['ip', 'link', 'set', bridge, 'up']);
  // Pod -> Service -> pod goes through this machine's routing (DNAT, then out the same bridge).
  // Forwarding is switched on for this bridge only; the machine-wide setting stays as it was.
  await writeFile(`/proc/sys/net/ipv4/conf/${bridge}/forwarding`, '1');
}

export async function deleteBridge(bridge: string): Promise<void> {
  if (await succeeds(['ip', 'link', 'show', 'dev', bridge])) await run(['ip', 'link', 'del', bridge]);
}

export async function bridgeExists(bridge: string): Promise<boolean> {
  return succeeds(['ip', 'link', 'show', 'dev', bridge]);
}

// ---- the firewall rule that keeps pods on the project's own networks ----

const isolationComment = 'livestream-operator real node: pods reach only the bridge and this machine';
const isolationRule = (bridge: string) => [
  'FORWARD', '-i', bridge, '!', '-o', bridge, '-m', 'comment', '--comment', isolationComment, '-j', 'DROP',
]; // prettier-ignore

export async function isolatePods(bridge: string): Promise<void> {
  if (!(await succeeds(['iptables', '-w', '-C', ...isolationRule(bridge)])))
    await run(['iptables', '-w', '-I', ...isolationRule(bridge)]);
}

export async function removePodIsolation(bridge: string): Promise<void> {
  while (await succeeds(['iptables', '-w', '-D', ...isolationRule(bridge)])) {
    // delete every copy
  }
}

// ---- kernel settings the kubelet (and kube-proxy) change ----

/**
 * The kubelet sets these on start (pkg/kubelet/cm: setupKernelTunables) unless protectKernelDefaults,
 * which instead refuses to start when they differ; kube-proxy may set route_localnet. They are put
 * back when the node stops, since the machine is shared.
 */
export const watchedSysctls = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
  'net/ipv4/conf/all/route_localnet',
] as const;

export async function readSysctls(): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const key of watchedSysctls) {
    values[key] = (await readFile(`/proc/sys/${key}`, 'utf8').catch(() => '')).trim();
  }
  return values;
}

/** Writes back every value that changed; returns the keys it restored. */
export async function restoreSysctls(saved: Record<string, string>): Promise<string[]> {
  const now = await readSysctls();
  const restored: string[] = [];
  for (const [key, value] of Object.entries(saved)) {
    if (value === '' || now[key] === value) continue;
    await writeFile(`/proc/sys/${key}`, value);
    restored.push(`${key.replace(/\//g, '.')}=${value} (was ${now[key]})`);
  }
  return restored;
}

// ---- iptables chains of the kubelet, kube-proxy and the CNI plugins ----

const ours = /^(KUBE-|CNI-)/;

/** Chains of Kubernetes networking (KUBE-*, CNI-*) in every table of iptables and ip6tables. */
export async function kubernetesChains(): Promise<string[]> {
  const found: string[] = [];
  for (const tool of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle']) {
      const out = await run([tool, '-w', '-t', table, '-S']).catch(() => ({ stdout: '' }));
      for (const line of out.stdout.split('\n')) {
        const m = /^-N (\S+)/.exec(line);
        if (m?.[1] && ours.test(m[1])) found.push(`${tool} ${table} ${m[1]}`);
      }
    }
  }
  return found;
}

/**
 * Removes every KUBE-* and CNI-* chain and the rules that jump to them (what `kube-proxy --cleanup`
 * leaves: the kubelet's KUBE-FIREWALL, KUBE-KUBELET-CANARY and KUBE-IPTABLES-HINT, portmap's chains).
 */
export async function removeKubernetesChains(): Promise<void> {
  for (const tool of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle']) {
      const rules = await run([tool, '-w', '-t', table, '-S']).catch(() => undefined);
      if (!rules) continue;
      const lines = rules.stdout.split('\n');
      // Rules of built-in chains that jump into ours.
      for (const line of lines) {
        const jump = jumpIntoOurs(line);
        if (jump) await succeeds([tool, '-w', '-t', table, '-D', ...jump]);
      }
      const chains = lines
        .map((l) => /^-N (\S+)/.exec(l)?.[1])
        .filter((c): c is string => !!c && ours.test(c));
      for (const chain of chains) await succeeds([tool, '-w', '-t', table, '-F', chain]);
      for (const chain of chains) await succeeds([tool, '-w', '-t', table, '-X', chain]);
    }
  }
}

/**
 * For an `iptables -S` line of a built-in chain that jumps into a KUBE-* or CNI-* chain, the
 * arguments that delete it (`-D` + these); otherwise undefined.
 */
export function jumpIntoOurs(line: string): string[] | undefined {
  const m = /^-A (\S+)((?: .*?)?) -j (\S+)$/.exec(line.trim());
  if (!m || ours.test(m[1]!) || !ours.test(m[3]!)) return undefined;
  return [m[1]!, ...splitRule(m[2]!), '-j', m[3]!];
}

/** Splits an `iptables -S` rule into arguments, keeping quoted comments whole. */
export function splitRule(rule: string): string[] {
  const args: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(rule); m; m = re.exec(rule))
    args.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return args;
}

// ---- mounts ----

/** Mount points at or under `dir` (deepest first), from /proc/self/mountinfo. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const points = info
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\(\d{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))))
    .filter((p) => p === dir || p.startsWith(prefix));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Unmounts everything under `dir`; a busy mount is detached lazily. Returns what stays mounted. */
export async function unmountAll(dir: string): Promise<string[]> {
  for (let pass = 0; pass < 3; pass++) {
    const points = await mountsUnder(dir);
    if (points.length === 0) return [];
    for (const point of points) {
      if (!(await succeeds(['umount', point]))) await succeeds(['umount', '-l', point]);
    }
  }
  return mountsUnder(dir);
}

// ---- cgroups ----

const cgroupRoot = '/sys/fs/cgroup';

/** kubepods cgroup folders left in each cgroup v1 hierarchy (or v2), deepest first. */
export async function kubepodsCgroups(): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory()) await walk(path.join(dir, e.name));
    found.push(dir);
  };
  const hierarchies = await readdir(cgroupRoot).catch(() => [] as string[]);
  for (const h of ['', ...hierarchies]) {
    const top = path.join(cgroupRoot, h, 'kubepods');
    if (await succeeds(['test', '-d', top])) await walk(top);
  }
  return found;
}

/** Removes the kubepods cgroups (empty once every pod's processes are gone). Returns what stays. */
export async function removeKubepodsCgroups(): Promise<string[]> {
  for (const dir of await kubepodsCgroups()) await rmdir(dir).catch(() => undefined);
  return kubepodsCgroups();
}
