// The local control plane is real: the scheduler places by extended resources and taints, the
// controller-manager makes EndpointSlices and collects garbage, kwok runs the pods on simulated nodes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, DiscoveryV1Api, type V1Pod } from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runKubectl } from '../../../localcluster/src/kubectl.js';
import { clusterOf, issueNodeCredentials } from '../../../localcluster/src/realnode.js';
import { useCluster, type TestCluster } from '../../../localcluster/src/testing.js';

let cluster: TestCluster;
let core: CoreV1Api;
let namespace: string;

/** Polls until `check` returns a value (not undefined), or fails with the last state after the deadline. */
async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function kubectl(args: string[], input?: string): Promise<string> {
  const res = await cluster.kubectl(args, { input, timeoutMs: 60_000 });
  assert.equal(res.code, 0, `kubectl ${args.join(' ')} failed: ${res.stderr}`);
  return res.stdout;
}

const inRange = (ip: string, prefix: string) => ip.startsWith(prefix);

before(async () => {
  cluster = await useCluster();
  core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  namespace = `localcluster-${randomBytes(3).toString('hex')}`;
  await kubectl(['create', 'namespace', namespace]);
  await eventually('the default ServiceAccount in the test namespace', () =>
    core.readNamespacedServiceAccount({ name: 'default', namespace }),
  );
});

after(async () => {
  await cluster?.kubectl(['delete', 'namespace', namespace, '--wait=false']);
  await cluster?.stop();
});

describe('the local cluster', () => {
  test('has the default pools as Ready nodes with GPU capacity and GPU Feature Discovery labels', async () => {
    const nodes = (await core.listNode({ labelSelector: 'type=kwok' })).items;
    const byPool = (pool: string) =>
      nodes.filter((n) => n.metadata?.labels?.['livestream-operator.io/pool'] === pool);
    assert.equal(byPool('nvidia-l4').length, 2);
    assert.equal(byPool('nvidia-h100').length, 1);
    assert.equal(byPool('geforce-rtx').length, 1);
    assert.equal(byPool('amd-w7900').length, 2);
    assert.equal(byPool('cpu').length, 3);
    for (const node of nodes)
      assert.equal(
        node.status?.conditions?.find((c) => c.type === 'Ready')?.status,
        'True',
        node.metadata?.name,
      );
    const l4 = byPool('nvidia-l4')[0]!;
    assert.equal(l4.status?.allocatable?.['nvidia.com/gpu'], '4');
    assert.equal(l4.metadata?.labels?.['nvidia.com/gpu.product'], 'NVIDIA-L4');
    assert.deepEqual(
      l4.spec?.taints?.map((t) => `${t.key}:${t.effect}`),
      ['nvidia.com/gpu:NoSchedule'],
    );
    assert.equal(byPool('amd-w7900')[0]!.status?.allocatable?.['amd.com/gpu'], '2');
    assert.equal(byPool('cpu')[0]!.status?.allocatable?.['nvidia.com/gpu'], undefined);
  });

  test('the kubectl it hands out is the v1.36 one built with the cluster', async () => {
    const version = JSON.parse(await kubectl(['version', '-o', 'json'])) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string };
    };
    assert.equal(version.clientVersion.gitVersion, 'v1.36.3');
    assert.equal(version.serverVersion.gitVersion, 'v1.36.3');
  });

  test('a Deployment asking for nvidia.com/gpu: 1 (with the toleration) runs on NVIDIA GPU nodes only', async () => {
    await kubectl(['apply', '-n', namespace, '-f', '-'], gpuDeployment('gpu-user', 3, 1));
    const pods = await eventually('3 Running GPU pods', async () => {
      const list = await core.listNamespacedPod({ namespace, labelSelector: 'app=gpu-user' });
      const running = list.items.filter((p) => p.status?.phase === 'Running');
      return running.length === 3 ? running : undefined;
    });
    for (const pod of pods) {
      const node = await core.readNode({ name: pod.spec!.nodeName! });
      assert.ok(
        Number(node.status?.allocatable?.['nvidia.com/gpu'] ?? 0) >= 1,
        `${pod.metadata?.name} ran on ${node.metadata?.name}`,
      );
      assert.ok(inRange(pod.status!.podIP!, '198.18.'), `pod IP ${pod.status?.podIP} is in 198.18.0.0/16`);
    }
  });

  test('a pod asking for more GPUs than any node has stays Pending with a FailedScheduling event', async () => {
    await kubectl(['apply', '-n', namespace, '-f', '-'], gpuPod('too-many-gpus', 9));
    const event = await eventually('a FailedScheduling event', async () => {
      const events = await core.listNamespacedEvent({
        namespace,
        fieldSelector: 'involvedObject.name=too-many-gpus,reason=FailedScheduling',
      });
      return events.items[0];
    });
    assert.match(event.message ?? '', /Insufficient nvidia\.com\/gpu/);
    const pod: V1Pod = await core.readNamespacedPod({ name: 'too-many-gpus', namespace });
    assert.equal(pod.status?.phase, 'Pending');
    assert.equal(pod.spec?.nodeName, undefined);
  });

  test('a Service gets EndpointSlices with the Running pods, and deleting the owner collects its dependents', async () => {
    await kubectl(['apply', '-n', namespace, '-f', '-'], webDeploymentAndService());
    const service = await core.readNamespacedService({ name: 'web', namespace });
    assert.ok(
      inRange(service.spec!.clusterIP!, '198.19.'),
      `ClusterIP ${service.spec?.clusterIP} is in 198.19.0.0/16`,
    );
    const podIPs = await eventually('2 Running web pods', async () => {
      const list = await core.listNamespacedPod({ namespace, labelSelector: 'app=web' });
      const ips = list.items.filter((p) => p.status?.phase === 'Running').map((p) => p.status!.podIP!);
      return ips.length === 2 ? ips.sort() : undefined;
    });
    const discovery = cluster.kubeConfig.makeApiClient(DiscoveryV1Api);
    await eventually('an EndpointSlice with both pod IPs, ready', async () => {
      const slices = await discovery.listNamespacedEndpointSlice({
        namespace,
        labelSelector: 'kubernetes.io/service-name=web',
      });
      const ready = slices.items
        .flatMap((s) => s.endpoints)
        .filter((e) => e.conditions?.ready)
        .flatMap((e) => e.addresses)
        .sort();
      return JSON.stringify(ready) === JSON.stringify(podIPs) ? ready : undefined;
    });

    await kubectl(['delete', 'deployment', 'web', '-n', namespace, '--cascade=background', '--wait=false']);
    await eventually('the ReplicaSet and pods to be garbage-collected', async () => {
      const replicaSets = (
        await kubectl(['get', 'replicasets', '-n', namespace, '-l', 'app=web', '-o', 'name'])
      ).trim();
      const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=web' });
      return replicaSets === '' && pods.items.length === 0 ? true : undefined;
    });
  });
});

describe('room for a real node', () => {
  test("a kubelet certificate from the cluster CA authenticates as system:node:<name> with a node's rights only", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'livestream-node-creds-'));
    try {
      const creds = await issueNodeCredentials(await clusterOf(cluster.kubeconfigPath), 'real-node-0', dir);
      const asNode = (args: string[]) => runKubectl(cluster.binDir, creds.kubeconfigPath, args);
      const whoami = await asNode(['auth', 'whoami', '-o', 'json']);
      assert.equal(whoami.code, 0, whoami.stderr);
      const user = (
        JSON.parse(whoami.stdout) as { status: { userInfo: { username: string; groups: string[] } } }
      ).status.userInfo;
      assert.equal(user.username, 'system:node:real-node-0');
      assert.ok(user.groups.includes('system:nodes'));
      assert.equal((await asNode(['auth', 'can-i', 'get', 'node/real-node-0'])).stdout.trim(), 'yes');
      assert.match(
        (await asNode(['auth', 'can-i', 'get', 'node/cpu-0'])).stdout,
        /^no - .*only its own Node object/,
      );
      assert.match((await asNode(['auth', 'can-i', 'list', 'secrets', '--all-namespaces'])).stdout, /^no\b/);
      assert.match(
        (await asNode(['auth', 'can-i', 'create', 'deployments', '-n', 'default'])).stdout,
        /^no\b/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function gpuDeployment(name: string, replicas: number, gpus: number): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: gpuPodSpec(gpus) },
    },
  });
}

function gpuPod(name: string, gpus: number): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: gpuPodSpec(gpus) });
}

function gpuPodSpec(gpus: number) {
  return {
    tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
    containers: [
      {
        name: 'main',
        image: 'example.invalid/transcoder:test',
        resources: { limits: { 'nvidia.com/gpu': String(gpus) } },
      },
    ],
  };
}

function webDeploymentAndService(): string {
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              { name: 'web', image: 'example.invalid/web:test', ports: [{ containerPort: 8080 }] },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    },
  ]
    .map((o) => JSON.stringify(o))
    .join('\n---\n');
}
