import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import {
  cniConfList,
  containerdConfig,
  corefile,
  defaultPodCidr,
  kubeletConfig,
  kubeProxyConfig,
  paths,
  realNodeTaint,
  type NodePlan,
} from '../../../../localcluster/src/realnode/plan.js';

const plan: NodePlan = {
  name: 'real-node-0',
  nodeIP: '198.18.255.1',
  podCidr: defaultPodCidr,
  bridge: 'lsobr0',
  dirs: {
    state: '/run/lso/node',
    data: '/var/lib/lso/real-node-0',
    containerdRoot: '/cache/realnode/containerd',
  },
  sandboxImage: 'localhost/livestream-pause:dev',
  ports: {
    kubelet: 40001,
    kubeletHealthz: 40002,
    proxyHealthz: 40003,
    proxyMetrics: 40004,
    dnsHealth: 40005,
  },
  labels: { 'livestream-operator.io/real-node': 'true' },
  taints: [{ ...realNodeTaint }],
  files: {
    caCert: '/tmp/c/pki/ca.crt',
    kubeletKubeconfig: '/var/lib/lso/real-node-0/pki/kubelet.kubeconfig',
    proxyKubeconfig: '/var/lib/lso/real-node-0/pki/kube-proxy.kubeconfig',
    dnsKubeconfig: '/var/lib/lso/real-node-0/pki/dns.kubeconfig',
  },
};

const inForbiddenRange = (ip: string) => /^(10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.)/.test(ip);

describe('real node plan', () => {
  test("containerd: the node's own root, state and socket; local sandbox image; oom_score_adj clamped", () => {
    const toml = containerdConfig(plan);
    assert.match(toml, /^root = "\/cache\/realnode\/containerd"$/m);
    assert.match(toml, /^state = "\/run\/lso\/node\/containerd"$/m);
    assert.match(toml, /address = "\/run\/lso\/node\/containerd.sock"/);
    assert.match(toml, /sandbox_image = "localhost\/livestream-pause:dev"/);
    assert.match(toml, /restrict_oom_score_adj = true/);
    assert.match(toml, /netns_mounts_under_state_dir = true/);
    assert.match(toml, /SystemdCgroup = false/);
    assert.match(toml, /bin_dir = "\/usr\/lib\/cni"/);
    assert.doesNotMatch(toml, /\/var\/lib\/containerd|\/run\/containerd|\/etc\/cni|\/opt\/cni/);
  });

  test('CNI: a bridge whose gateway is the node address, no masquerade, addresses from the node range', () => {
    const conf = JSON.parse(cniConfList(plan)) as {
      plugins: {
        type: string;
        bridge?: string;
        isGateway?: boolean;
        ipMasq?: boolean;
        ipam?: Record<string, unknown>;
      }[];
    };
    const bridge = conf.plugins.find((p) => p.type === 'bridge')!;
    assert.equal(bridge.bridge, 'lsobr0');
    assert.equal(bridge.isGateway, true);
    assert.equal(bridge.ipMasq, false);
    assert.deepEqual(bridge.ipam?.ranges, [[{ subnet: '198.18.255.0/24', gateway: '198.18.255.1' }]]);
    assert.equal(bridge.ipam?.dataDir, paths(plan).ipamDir);
    assert.ok(!inForbiddenRange(plan.nodeIP) && !inForbiddenRange(plan.podCidr));
  });

  test('kubelet: cgroup v1 allowed, cgroupfs, x509 against the cluster CA, no evictions or image GC from a shared disk', () => {
    const c = parse(kubeletConfig(plan)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(c.kind, 'KubeletConfiguration');
    assert.equal(c.failCgroupV1, false);
    assert.equal(c.cgroupDriver, 'cgroupfs');
    assert.equal(c.containerRuntimeEndpoint, 'unix:///run/lso/node/containerd.sock');
    assert.equal(c.address, '198.18.255.1');
    assert.equal(c.port, 40001);
    assert.equal(c.readOnlyPort, 0);
    assert.deepEqual(c.authentication, {
      anonymous: { enabled: false },
      webhook: { enabled: false },
      x509: { clientCAFile: '/tmp/c/pki/ca.crt' },
    });
    assert.deepEqual(c.clusterDNS, ['198.18.255.1']);
    assert.equal(c.resolvConf, '');
    assert.deepEqual(c.enforceNodeAllocatable, []);
    assert.equal(c.imageGCHighThresholdPercent, 100);
    assert.equal(c.evictionHard['nodefs.available'], '1%');
    assert.deepEqual(c.registerWithTaints, [
      { key: 'livestream-operator.io/real-node', value: 'true', effect: 'NoSchedule' },
    ]);
  });

  test("kube-proxy: iptables mode, NodePorts on the node address only, the machine's sysctls left alone", () => {
    const c = parse(kubeProxyConfig(plan)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(c.mode, 'iptables');
    assert.equal(c.hostnameOverride, 'real-node-0');
    assert.deepEqual(c.nodePortAddresses, ['198.18.255.1/32']);
    assert.equal(c.iptables.localhostNodePorts, false);
    assert.equal(c.conntrack.maxPerCore, 0);
    assert.equal(c.healthzBindAddress, '127.0.0.1:40003');
  });

  test('CoreDNS: cluster names on the node address, nothing forwarded', () => {
    const text = corefile(plan);
    assert.match(text, /bind 198\.18\.255\.1/);
    assert.match(text, /kubernetes cluster\.local in-addr\.arpa ip6\.arpa/);
    assert.match(text, /kubeconfig \/var\/lib\/lso\/real-node-0\/pki\/dns\.kubeconfig/);
    assert.doesNotMatch(text, /forward/);
  });
});
