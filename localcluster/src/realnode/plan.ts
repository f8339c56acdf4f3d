// The real node's configuration as pure functions of one plan: containerd's config, the CNI network,
// the kubelet's and kube-proxy's configurations and CoreDNS's Corefile. Facts behind the settings:
// ../shared/research/control-plane.md ("A real node") and docs/real-node.md.
import path from 'node:path';
import { stringify } from 'yaml';

/**
 * The real node's pod range: inside the project's pod range (198.18.0.0/16) but at its top, because
 * kwok hands simulated pods addresses from the bottom of the same range (198.18.0.1 upwards).
 */
export const defaultPodCidr = '198.18.255.0/24';
/** The node's own address: the bridge's gateway address, so the API server reaches the kubelet. */
export const defaultNodeIP = '198.18.255.1';
export const defaultBridge = 'lsobr0';
export const clusterDomain = 'cluster.local';
/** Label and taint of a real node; simulated pools never carry them. */
export const realNodeLabel = 'livestream-operator.io/real-node';
export const realNodeTaint = { key: realNodeLabel, value: 'true', effect: 'NoSchedule' } as const;

export interface NodeDirs {
  /** Sockets, containerd state, runc state, pod network namespaces (tmpfs, short paths). */
  state: string;
  /** Kubelet root, configs, certificates, logs, IPAM leases (removed at teardown). */
  data: string;
  /** containerd's root: images and snapshots, kept between runs as a cache. */
  containerdRoot: string;
}

export interface NodePlan {
  name: string;
  nodeIP: string;
  podCidr: string;
  bridge: string;
  dirs: NodeDirs;
  sandboxImage: string;
  ports: {
    kubelet: number;
    kubeletHealthz: number;
    proxyHealthz: number;
    proxyMetrics: number;
    dnsHealth: number;
  };
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: string }[];
  /** Where the cluster CA and the kubeconfigs are. */
  files: { caCert: string; kubeletKubeconfig: string; proxyKubeconfig: string; dnsKubeconfig: string };
}

export const paths = (plan: Pick<NodePlan, 'dirs'>) => ({
  containerdSocket: path.join(plan.dirs.state, 'containerd.sock'),
  containerdState: path.join(plan.dirs.state, 'containerd'),
  runcRoot: path.join(plan.dirs.state, 'runc'),
  containerdConfig: path.join(plan.dirs.data, 'containerd.toml'),
  cniConfDir: path.join(plan.dirs.data, 'cni'),
  ipamDir: path.join(plan.dirs.data, 'ipam'),
  kubeletRoot: path.join(plan.dirs.data, 'kubelet'),
  kubeletCerts: path.join(plan.dirs.data, 'kubelet-pki'),
  kubeletConfig: path.join(plan.dirs.data, 'kubelet.yaml'),
  proxyConfig: path.join(plan.dirs.data, 'kube-proxy.yaml'),
  corefile: path.join(plan.dirs.data, 'Corefile'),
  logs: path.join(plan.dirs.data, 'logs'),
});

const toml = (s: string) => JSON.stringify(s);

/** containerd 1.6, config version 2: every path under the node's own dirs, the CRI plugin on. */
export function containerdConfig(plan: NodePlan): string {
  const p = paths(plan);
  return `# Written by localcluster/src/realnode (docs/real-node.md); containerd ${'1.6'} config version 2.
version = 2
root = ${toml(plan.dirs.containerdRoot)}
state = ${toml(p.containerdState)}
# Snapshotters and services a kubelet on this machine does not use.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = ${toml(p.containerdSocket)}

[ttrpc]
  address = ${toml(`${p.containerdSocket}.ttrpc`)}

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = ${toml(path.join(plan.dirs.containerdRoot, 'opt'))}

[plugins."io.containerd.grpc.v1.cri"]
  # The sandbox image is built locally (images/pause): its upstream registry is out of reach here.
  sandbox_image = ${toml(plan.sandboxImage)}
  # Required on these machines: a process may not lower its oom_score_adj, and runc fails every
  # sandbox asking for -998 ("can't get final child's PID from pipe: EOF") unless this clamps it.
  restrict_oom_score_adj = true
  # Pod network namespaces under our own state dir, not /var/run/netns.
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = ${toml(p.runcRoot)}
        SystemdCgroup = false

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = ${toml(p.cniConfDir)}
    max_conf_num = 1
`;
}

/** One bridge network: pods get addresses from the node's range, the bridge is their gateway. */
export function cniConfList(plan: NodePlan): string {
  const p = paths(plan);
  return `${JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'livestream-realnode',
      plugins: [
        {
          type: 'bridge',
          bridge: plan.bridge,
          isGateway: true,
          // No NAT to the outside: pods talk to each other, to Services and to this machine only.
          ipMasq: false,
          // A pod reaching itself through its own Service (kube-proxy hairpin).
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: plan.podCidr, gateway: plan.nodeIP }]],
            // Everything through the bridge (Service addresses are routed, then DNATed, by this machine).
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: p.ipamDir,
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

/** KubeletConfiguration: the measured settings for these machines (cgroup v1, shared disk, no swap rules). */
export function kubeletConfig(plan: NodePlan): string {
  const p = paths(plan);
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // These machines run cgroup v1, which kubelet 1.31+ refuses unless told.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    containerRuntimeEndpoint: `unix://${p.containerdSocket}`,
    // The API server reaches logs/exec here (the node's InternalIP); nothing listens on other addresses.
    address: plan.nodeIP,
    port: plan.ports.kubelet,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: plan.ports.kubeletHealthz,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: false },
      x509: { clientCAFile: plan.files.caCert },
    },
    // Only holders of a certificate from the cluster's CA get past authentication; a test cluster.
    authorization: { mode: 'AlwaysAllow' },
    clusterDomain,
    clusterDNS: [plan.nodeIP],
    // Pods never get this machine's resolver (its addresses are out of bounds for them).
    resolvConf: '',
    failSwapOn: false,
    // Do not enforce allocatable with cgroup limits on a machine shared with other work.
    enforceNodeAllocatable: [],
    // A shared disk must not make the kubelet evict pods or delete images.
    evictionHard: {
      'memory.available': '1Mi',
      'nodefs.available': '1%',
      'nodefs.inodesFree': '1%',
      'imagefs.available': '1%',
    },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    imageMinimumGCAge: '24h',
    registerNode: true,
    registerWithTaints: plan.taints,
    serializeImagePulls: false,
    rotateCertificates: false,
    serverTLSBootstrap: false,
    nodeStatusUpdateFrequency: '10s',
    containerLogMaxSize: '10Mi',
    containerLogMaxFiles: 2,
    staticPodPath: '',
    maxPods: 110,
  });
}

/** kube-proxy in iptables mode: ClusterIPs and NodePorts work from this machine and from pods. */
export function kubeProxyConfig(plan: NodePlan): string {
  return stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig: plan.files.proxyKubeconfig },
    hostnameOverride: plan.name,
    mode: 'iptables',
    clusterCIDR: plan.podCidr,
    detectLocalMode: 'ClusterCIDR',
    healthzBindAddress: `127.0.0.1:${plan.ports.proxyHealthz}`,
    metricsBindAddress: `127.0.0.1:${plan.ports.proxyMetrics}`,
    // NodePorts on the node's own address only, never on this machine's other interfaces; and no
    // route_localnet sysctl (NodePorts on 127.0.0.1).
    nodePortAddresses: [`${plan.nodeIP}/32`],
    iptables: { localhostNodePorts: false, masqueradeAll: false, minSyncPeriod: '1s', syncPeriod: '30s' },
    // Leave the machine's conntrack sysctls alone (0 = do not set).
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
  });
}

/** CoreDNS on the node's address: cluster names from the API server; nothing is forwarded outside. */
export function corefile(plan: NodePlan): string {
  return `# Written by localcluster/src/realnode (docs/real-node.md).
.:53 {
    bind ${plan.nodeIP}
    errors
    health 127.0.0.1:${plan.ports.dnsHealth}
    kubernetes ${clusterDomain} in-addr.arpa ip6.arpa {
        kubeconfig ${plan.files.dnsKubeconfig}
        pods insecure
        ttl 5
    }
    cache 5
}
`;
}
