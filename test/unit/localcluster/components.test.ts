import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import {
  benchmarkClientLimits,
  componentArgs,
  defaultClientLimits,
  startOrder,
  type ComponentPlan,
} from '../../../localcluster/src/components.js';
import { renderKubeconfig } from '../../../localcluster/src/kubeconfig.js';
import { identities, nodeIdentity, subjectOf, type CertPair } from '../../../localcluster/src/pki.js';
import { ownStartTime, processState } from '../../../localcluster/src/processes.js';

const pair = (name: string): CertPair => ({ cert: `/d/pki/${name}.crt`, key: `/d/pki/${name}.key` });
const plan: ComponentPlan = {
  dataDir: '/d',
  bindAddress: '127.0.0.1',
  advertiseAddress: '127.0.0.1',
  ports: { etcdClient: 2001, etcdPeer: 2002, apiserver: 6443 },
  pki: {
    dir: '/d/pki',
    ca: pair('ca'),
    apiserver: pair('apiserver'),
    apiserverKubeletClient: pair('apiserver-kubelet-client'),
    admin: pair('admin'),
    controllerManager: pair('kube-controller-manager'),
    scheduler: pair('kube-scheduler'),
    kwok: pair('kwok'),
    serviceAccountKey: '/d/pki/sa.key',
    serviceAccountPub: '/d/pki/sa.pub',
  },
  kubeconfigs: {
    controllerManager: '/d/pki/kcm.kubeconfig',
    scheduler: '/d/pki/sched.kubeconfig',
    kwok: '/d/pki/kwok.kubeconfig',
  },
  kwokStagesFile: '/repo/localcluster/kwok/stages.yaml',
  kwokConfigFile: '/repo/localcluster/kwok/kwok.yaml',
  clientLimits: defaultClientLimits,
};

describe('componentArgs', () => {
  test('starts etcd first and kwok last (stopping runs the other way)', () => {
    assert.deepEqual(startOrder, [
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kwok',
    ]);
  });

  test('etcd: loopback only, its own data dir, no fsync', () => {
    const args = componentArgs('etcd', plan);
    assert.ok(args.includes('--listen-client-urls=http://127.0.0.1:2001'));
    assert.ok(args.includes('--listen-peer-urls=http://127.0.0.1:2002'));
    assert.ok(args.includes('--data-dir=/d/etcd'));
    assert.ok(args.includes('--unsafe-no-fsync=true'));
  });

  test('kube-apiserver: the service range, client-cert auth, Node+RBAC for a later real node', () => {
    const args = componentArgs('kube-apiserver', plan);
    for (const flag of [
      '--etcd-servers=http://127.0.0.1:2001',
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      '--secure-port=6443',
      '--service-cluster-ip-range=198.19.0.0/16',
      '--client-ca-file=/d/pki/ca.crt',
      '--authorization-mode=Node,RBAC',
      '--enable-admission-plugins=NodeRestriction',
      '--service-account-signing-key-file=/d/pki/sa.key',
      '--service-account-key-file=/d/pki/sa.pub',
      '--cert-dir=/d/apiserver',
    ])
      assert.ok(args.includes(flag), flag);
  });

  test('controller-manager and scheduler take the client limits; benchmarks raise them to 200/400', () => {
    for (const name of ['kube-controller-manager', 'kube-scheduler'] as const) {
      assert.ok(componentArgs(name, plan).includes('--kube-api-qps=20'));
      assert.ok(componentArgs(name, plan).includes('--kube-api-burst=30'));
      const bench = componentArgs(name, { ...plan, clientLimits: benchmarkClientLimits });
      assert.ok(bench.includes('--kube-api-qps=200') && bench.includes('--kube-api-burst=400'));
      assert.ok(bench.includes('--leader-elect=false'));
    }
    const kcm = componentArgs('kube-controller-manager', plan);
    assert.ok(kcm.includes('--use-service-account-credentials=true'));
    assert.ok(kcm.includes('--service-account-private-key-file=/d/pki/sa.key'));
    assert.ok(kcm.includes('--root-ca-file=/d/pki/ca.crt'));
  });

  test('kwok: pod IPs from 198.18.0.0/16, the committed stages, only the nodes marked as fake', () => {
    const args = componentArgs('kwok', plan);
    assert.ok(args.includes('--cidr=198.18.0.0/16'));
    assert.ok(args.includes('--config=/repo/localcluster/kwok/stages.yaml'));
    assert.ok(args.includes('--config=/repo/localcluster/kwok/kwok.yaml'));
    assert.ok(args.includes('--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake'));
    assert.ok(args.includes('--kubeconfig=/d/pki/kwok.kubeconfig'));
  });

  test('no address the machines may not use appears in any command line', () => {
    const all = startOrder.flatMap((name) => componentArgs(name, plan)).join(' ');
    assert.doesNotMatch(all, /\b(10\.\d+|172\.(1[6-9]|2\d|3[01])\.\d+|192\.168)\.\d+/);
  });
});

describe('certificate subjects', () => {
  test('components use the identities RBAC bootstraps; a real node is system:node:<name> in system:nodes', () => {
    assert.equal(subjectOf(identities.admin), '/O=system:masters/CN=livestream-admin');
    assert.equal(subjectOf(identities.controllerManager), '/CN=system:kube-controller-manager');
    assert.equal(subjectOf(identities.scheduler), '/CN=system:kube-scheduler');
    assert.equal(subjectOf(nodeIdentity('worker-0')), '/O=system:nodes/CN=system:node:worker-0');
  });
  test('a subject part with "/" is refused rather than silently splitting the subject', () => {
    assert.throws(() => subjectOf({ commonName: 'a/b' }), /may not contain "\/"/);
  });
});

describe('renderKubeconfig', () => {
  test('embeds the certificates and selects its one context', () => {
    const doc = parse(
      renderKubeconfig({
        clusterName: 'local',
        server: 'https://127.0.0.1:6443',
        userName: 'admin',
        caPem: 'CA',
        clientCertPem: 'CERT',
        clientKeyPem: 'KEY',
      }),
    ) as Record<string, unknown>;
    assert.equal(doc['current-context'], 'local');
    assert.deepEqual(doc.clusters, [
      { name: 'local', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': 'Q0E=' } },
    ]);
    assert.deepEqual(doc.users, [
      { name: 'admin', user: { 'client-certificate-data': 'Q0VSVA==', 'client-key-data': 'S0VZ' } },
    ]);
  });
});

describe('processState', () => {
  test('knows this process, and tells a reused pid (other start time or command) from it', () => {
    const exe = readFileSync('/proc/self/cmdline', 'utf8').split('\0')[0]!;
    const me = { name: 'me', pid: process.pid, startTime: ownStartTime(), exe };
    assert.equal(processState(me), 'running');
    assert.equal(processState({ ...me, startTime: me.startTime + 1 }), 'reused');
    assert.equal(processState({ ...me, exe: '/usr/bin/other' }), 'reused');
    assert.equal(processState({ ...me, pid: 2 ** 22 + 7 }), 'gone');
  });
});
