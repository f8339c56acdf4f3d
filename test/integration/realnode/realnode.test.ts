// A real node (containerd + kubelet + kube-proxy + CoreDNS) joins the shared local cluster and runs
// pods built from the project's own image: as uid 65532 with a read-only root, on the host network,
// placed by the scheduler from a Deployment, reached through Services from this machine and from
// pods, with logs and exec through the API server. Simulated workloads stay off it. Stopping it leaves
// the machine as it was.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { useCluster, type TestCluster } from '../../../localcluster/src/testing.js';
import {
  reapAbandonedRealNode,
  startRealNode,
  type RealNode,
} from '../../../localcluster/src/realnode/node.js';
import { realNodeLabel } from '../../../localcluster/src/realnode/plan.js';
import {
  leftovers,
  type MachineSnapshot,
  snapshotMachine,
} from '../../../localcluster/src/realnode/leftovers.js';

const isRoot = process.getuid?.() === 0 && process.platform === 'linux';
const ns = `realnode-${randomBytes(3).toString('hex')}`;
const image = 'localhost/livestream-operator:dev';
const onRealNode = {
  nodeSelector: { [realNodeLabel]: 'true' },
  tolerations: [{ key: realNodeLabel, operator: 'Exists', effect: 'NoSchedule' }],
};
const httpServer = (reply: string) =>
  `require('http').createServer((q,s)=>{console.log('request',q.url);s.end(${reply})}).listen(8080,()=>console.log('listening'))`;
/** Ready once it listens, as a pod serving traffic should be. */
const listening = { readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } };
const restricted = {
  securityContext: {
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
  },
};

describe('a real node', { skip: !isRoot && 'needs root on Linux', timeout: 25 * 60_000 }, () => {
  let cluster: TestCluster;
  let node: RealNode;
  let before_: MachineSnapshot;
  const kubectl = async (args: string[], input?: string) => {
    const r = await cluster.kubectl(['-n', ns, ...args], { input, timeoutMs: 120_000 });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const apply = (...objects: object[]) =>
    kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  const getJson = async <T>(args: string[]) => JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
  const waitRunning = (selector: string) =>
    kubectl(['wait', '--for=condition=Ready', 'pod', ...selector.split(' '), '--timeout=120s']);
  const fetchText = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(5_000) })).text();

  before(async () => {
    cluster = await useCluster();
    await reapAbandonedRealNode((line) => process.stderr.write(`realnode: ${line}\n`));
    before_ = await snapshotMachine();
    node = await startRealNode({
      kubeconfigPath: cluster.kubeconfigPath,
      images: ['operator'],
      waitForMachineMs: 15 * 60_000,
      progress: (line) => process.stderr.write(`realnode: ${line}\n`),
    });
    node.stopWhenProcessEnds();
    process.stderr.write(`realnode: Ready ${(node.readyMs / 1000).toFixed(1)} s after the kubelet started\n`);
    await cluster.kubectl(['create', 'namespace', ns]);
  });
  after(async () => {
    await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
    await node?.stop();
    await cluster?.stop();
  });

  test('joins Ready with its own address, the real-node label and taint, on containerd', async () => {
    const n = await getJson<NodeJson>(['get', 'node', node.name]);
    assert.equal(n.status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
    assert.deepEqual(n.status.addresses.find((a) => a.type === 'InternalIP')?.address, node.nodeIP);
    assert.equal(n.metadata.labels[realNodeLabel], 'true');
    assert.ok(n.spec.taints?.some((t) => t.key === realNodeLabel && t.effect === 'NoSchedule'));
    assert.match(n.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\/1\./);
    assert.match(n.status.nodeInfo.kubeletVersion, /^v1\.36\./);
  });

  test('a pod as uid 65532 with a read-only root, no capabilities and no token runs; logs and exec work', async () => {
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'restricted', labels: { app: 'restricted' } },
      spec: {
        ...onRealNode,
        automountServiceAccountToken: false,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: 65532,
          runAsGroup: 65532,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        containers: [
          {
            name: 'web',
            image,
            imagePullPolicy: 'Never',
            command: ['node', '-e', httpServer("'restricted'")],
            ...restricted,
            ...listening,
          },
        ],
      },
    });
    await waitRunning('restricted');
    const pod = await getJson<PodJson>(['get', 'pod', 'restricted']);
    assert.equal(pod.spec.nodeName, node.name);
    assert.ok(inRange(pod.status.podIP, node.podCidr), `${pod.status.podIP} in ${node.podCidr}`);
    assert.equal(await fetchText(`http://${pod.status.podIP}:8080/`), 'restricted');
    assert.match(await kubectl(['logs', 'restricted']), /listening\nrequest \/\n/);
    assert.equal((await kubectl(['exec', 'restricted', '--', 'id', '-u'])).trim(), '65532');
    const touch = await cluster.kubectl(['-n', ns, 'exec', 'restricted', '--', 'touch', '/app/x']);
    assert.notEqual(touch.code, 0);
    assert.match(touch.stderr, /Read-only file system/);
    const caps = await kubectl(['exec', 'restricted', '--', 'grep', 'CapEff', '/proc/self/status']);
    assert.match(caps, /CapEff:\s+0+\n/);
    assert.equal(
      (await cluster.kubectl(['-n', ns, 'exec', 'restricted', '--', 'ls', '/var/run/secrets/kubernetes.io']))
        .code,
      2,
    );
  });

  test("a hostNetwork pod runs in this machine's network namespace", async () => {
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'hostnet' },
      spec: {
        ...onRealNode,
        hostNetwork: true,
        containers: [
          {
            name: 'c',
            image,
            imagePullPolicy: 'Never',
            command: [
              'node',
              '-e',
              "console.log(JSON.stringify(require('os').networkInterfaces())); setInterval(() => {}, 1e9)",
            ],
          },
        ],
      },
    });
    await waitRunning('hostnet');
    const pod = await getJson<PodJson>(['get', 'pod', 'hostnet']);
    assert.equal(pod.status.podIP, node.nodeIP);
    assert.match(
      await kubectl(['logs', 'hostnet']),
      new RegExp(`"address":"${node.nodeIP.replace(/\./g, '\\.')}"`),
    );
  });

  test('the scheduler places a Deployment there; its Service answers this machine (ClusterIP, NodePort) and pods (DNS)', async () => {
    await apply(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              ...onRealNode,
              securityContext: { runAsNonRoot: true, runAsUser: 65532 },
              containers: [
                {
                  name: 'web',
                  image,
                  imagePullPolicy: 'Never',
                  command: ['node', '-e', httpServer("require('os').hostname()")],
                  resources: {
                    requests: { cpu: '50m', memory: '64Mi' },
                    limits: { cpu: '50m', memory: '64Mi' },
                  },
                  ...restricted,
                  ...listening,
                },
              ],
            },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    );
    await kubectl(['rollout', 'status', 'deployment/web', '--timeout=120s']);
    const pods = await getJson<{ items: PodJson[] }>(['get', 'pods', '-l', 'app=web']);
    assert.equal(pods.items.length, 2);
    for (const p of pods.items) {
      assert.equal(p.spec.nodeName, node.name);
      assert.equal(p.status.qosClass, 'Guaranteed');
    }
    const names = new Set(pods.items.map((p) => p.metadata.name));
    const svc = await getJson<ServiceJson>(['get', 'service', 'web']);
    // kube-proxy programs the Service a moment after its endpoints appear.
    const answer = async (url: string) => {
      for (let i = 0; ; i++) {
        try {
          return await fetchText(url);
        } catch (err) {
          if (i >= 40) throw err;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    };
    assert.ok(names.has(await answer(`http://${svc.spec.clusterIP}/`)), 'ClusterIP from this machine');
    assert.ok(names.has(await answer(`http://${node.nodeIP}:${svc.spec.ports[0]!.nodePort}/`)), 'NodePort');
    const viaDns = await kubectl([
      'exec',
      'restricted',
      '--',
      'node',
      '-e',
      `fetch('http://web.${ns}.svc.cluster.local/').then(r => r.text()).then(t => console.log(t), e => { console.error(e.cause ?? e); process.exit(1); })`,
    ]);
    assert.ok(names.has(viaDns.trim()), `a pod reached the Service by its DNS name (${viaDns})`);
  });

  test('pods without the toleration stay off it; simulated nodes take them as before', async () => {
    await apply(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'untolerated' },
        spec: {
          nodeSelector: { [realNodeLabel]: 'true' },
          containers: [{ name: 'c', image, imagePullPolicy: 'Never' }],
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'anywhere' },
        spec: { containers: [{ name: 'c', image: 'registry.example/simulated:1' }] },
      },
    );
    for (let i = 0; ; i++) {
      const events = await kubectl([
        'get',
        'events',
        '--field-selector',
        'involvedObject.name=untolerated',
        '-o',
        'jsonpath={.items[*].message}',
      ]);
      if (/node\(s\) had untolerated taint/.test(events)) break;
      assert.ok(i < 60, `no FailedScheduling event naming the taint: ${events}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal((await getJson<PodJson>(['get', 'pod', 'untolerated'])).spec.nodeName, undefined);
    await waitRunning('anywhere');
    const anywhere = await getJson<PodJson>(['get', 'pod', 'anywhere']);
    assert.notEqual(anywhere.spec.nodeName, node.name);
  });

  test('stops and leaves nothing behind: processes, mounts, bridge, iptables, cgroups, kernel settings, Node', async () => {
    await cluster.kubectl(['delete', 'namespace', ns, '--wait=false']);
    const report = await node.stop();
    assert.deepEqual(report.leftovers, []);
    for (const p of report.processes)
      assert.match(p.outcome, /^(stopped|already gone)$/, `${p.name}: ${p.outcome}`);
    assert.deepEqual(await leftovers(before_, node.name, (args) => cluster.kubectl(args)), []);
  });
});

function inRange(ip: string, cidr: string): boolean {
  const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const [base, bits] = cidr.split('/') as [string, string];
  const mask = Number(bits) === 0 ? 0 : 2 ** 32 - 2 ** (32 - Number(bits));
  return (toInt(ip) & mask) >>> 0 === (toInt(base) & mask) >>> 0;
}

interface NodeJson {
  metadata: { labels: Record<string, string> };
  spec: { taints?: { key: string; effect: string }[] };
  status: {
    conditions: { type: string; status: string }[];
    addresses: { type: string; address: string }[];
    nodeInfo: { containerRuntimeVersion: string; kubeletVersion: string };
  };
}
interface PodJson {
  metadata: { name: string };
  spec: { nodeName?: string };
  status: { podIP: string; qosClass: string };
}
interface ServiceJson {
  spec: { clusterIP: string; ports: { nodePort?: number }[] };
}
