// Can this machine run a real node? Every reason it cannot, each with what would make it work, so
// `npm run demo` can say exactly why it stays on simulated nodes.
import { access, constants, readFile } from 'node:fs/promises';
import { succeeds } from './exec.js';
import { kubernetesChains } from './host.js';

export type Support = { ok: true } | { ok: false; reasons: string[] };

const cniPlugins = ['bridge', 'host-local', 'portmap', 'loopback'];

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function onPath(tool: string): Promise<boolean> {
  return succeeds(['sh', '-c', `command -v ${tool}`]);
}

/**
 * Checks what a real node needs from this machine, without changing anything. `binDir` is the folder
 * with kubelet and kube-proxy (localcluster/scripts/build.sh builds them with the control plane).
 */
export async function realNodeSupport(binDir?: string): Promise<Support> {
  const reasons: string[] = [];
  if (process.platform !== 'linux')
    return { ok: false, reasons: [`a real node needs Linux (this is ${process.platform})`] };
  if (process.getuid?.() !== 0)
    reasons.push('a real node needs root (kubelet, containerd, network and mounts); run as root');

  const debian: Record<string, string> = {
    containerd: 'containerd',
    runc: 'runc',
    ctr: 'containerd',
    buildah: 'buildah',
    debootstrap: 'debootstrap',
    iptables: 'iptables',
    ip: 'iproute2',
    go: 'golang (Go >= 1.26, https://go.dev/dl)',
  };
  const missing = [];
  for (const [tool, pkg] of Object.entries(debian))
    if (!(await onPath(tool))) missing.push(`${tool} (${pkg})`);
  for (const plugin of cniPlugins)
    if (!(await executable(`/usr/lib/cni/${plugin}`)))
      missing.push(`/usr/lib/cni/${plugin} (containernetworking-plugins)`);
  if (missing.length) reasons.push(`missing: ${missing.join(', ')}; tools/setup.sh installs them`);

  if (binDir) {
    for (const bin of ['kubelet', 'kube-proxy'])
      if (!(await executable(`${binDir}/${bin}`)))
        reasons.push(`${binDir}/${bin} is missing; localcluster/scripts/build.sh builds it`);
  }

  const filesystems = await readFile('/proc/filesystems', 'utf8').catch(() => '');
  if (!/\toverlay$/m.test(filesystems))
    reasons.push(
      "the kernel has no overlay filesystem (containerd's overlayfs snapshotter needs it; modprobe overlay)",
    );
  const cgroups = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  if (!/ - cgroup2? /.test(cgroups)) reasons.push('no cgroup filesystem is mounted under /sys/fs/cgroup');

  // A bridge is what pods attach to; some kernels (containers, gVisor) cannot make one.
  if (process.getuid?.() === 0) {
    const probe = 'lsoprobe0';
    if (await succeeds(['ip', 'link', 'add', probe, 'type', 'bridge'])) {
      await succeeds(['ip', 'link', 'del', probe]);
    } else {
      reasons.push('this kernel cannot create a bridge interface (ip link add type bridge failed)');
    }
    const theirs = (await kubernetesChains()).filter((c) => !c.includes('CNI-'));
    if (theirs.length > 0)
      reasons.push(
        `this machine already has Kubernetes networking (iptables chains ${theirs.slice(0, 3).join(', ')}...): ` +
          'a second kube-proxy would fight it; run the real node on a machine that is not a Kubernetes node, ' +
          'or stop the other one (a real node left by a crashed run is cleaned up by `npm run cluster:down`)',
      );
  }
  return reasons.length ? { ok: false, reasons } : { ok: true };
}
