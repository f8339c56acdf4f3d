// The command lines of the five control-plane processes, as pure functions of a plan (ports, files,
// limits), so they can be read and tested in one place. Facts behind the flags:
// ../shared/research/control-plane.md and docs/localcluster.md.
import path from 'node:path';
import type { ClusterPki } from './pki.js';

export type ComponentName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok';

/** Start order; stop in reverse (kwok first, etcd last): an API server whose etcd died first can hang. */
export const startOrder: readonly ComponentName[] = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
];

/** Addresses handed out by the cluster (never 10/8, 172.16/12 or 192.168/16 on these machines). */
export const serviceCidr = '198.19.0.0/16';
export const podCidr = '198.18.0.0/16';
/** The `kubernetes` Service's ClusterIP: the first address of the service range. */
export const kubernetesServiceIP = '198.19.0.1';

export interface ClientLimits {
  /** Client-side rate limit of kube-controller-manager and kube-scheduler (their default is 20). */
  qps: number;
  burst: number;
}
export const defaultClientLimits: ClientLimits = { qps: 20, burst: 30 };
/** What benchmarks use (the operator run and its baseline alike). */
export const benchmarkClientLimits: ClientLimits = { qps: 200, burst: 400 };

export interface ComponentPlan {
  dataDir: string;
  /** Where the API server listens (127.0.0.1 unless a real node must reach it from elsewhere). */
  bindAddress: string;
  advertiseAddress: string;
  ports: { etcdClient: number; etcdPeer: number; apiserver: number };
  pki: ClusterPki;
  kubeconfigs: { controllerManager: string; scheduler: string; kwok: string };
  kwokStagesFile: string;
  kwokConfigFile: string;
  clientLimits: ClientLimits;
}

export const componentLogFile = (dataDir: string, name: ComponentName) =>
  path.join(dataDir, 'logs', `${name}.log`);

export function etcdArgs(dataDir: string, ports: ComponentPlan['ports']): string[] {
  const clientUrl = `http://127.0.0.1:${ports.etcdClient}`;
  const peerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
  return [
    '--name=livestream',
    `--data-dir=${path.join(dataDir, 'etcd')}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=livestream=${peerUrl}`,
    '--initial-cluster-state=new',
    // Test data: losing it on a power cut is fine, and fsync on a shared disk costs seconds.
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

export function componentArgs(name: ComponentName, plan: ComponentPlan): string[] {
  const { ports, pki } = plan;
  const etcdClientUrl = `http://127.0.0.1:${ports.etcdClient}`;
  const limits = [`--kube-api-qps=${plan.clientLimits.qps}`, `--kube-api-burst=${plan.clientLimits.burst}`];
  switch (name) {
    case 'etcd':
      return etcdArgs(plan.dataDir, ports);
    case 'kube-apiserver':
      return [
        `--etcd-servers=${etcdClientUrl}`,
        `--bind-address=${plan.bindAddress}`,
        `--advertise-address=${plan.advertiseAddress}`,
        `--secure-port=${ports.apiserver}`,
        `--cert-dir=${path.join(plan.dataDir, 'apiserver')}`,
        `--tls-cert-file=${pki.apiserver.cert}`,
        `--tls-private-key-file=${pki.apiserver.key}`,
        `--client-ca-file=${pki.ca.cert}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${pki.serviceAccountPub}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        `--service-cluster-ip-range=${serviceCidr}`,
        // Node + NodeRestriction: a real kubelet (system:node:<name>) may join with least privilege.
        '--authorization-mode=Node,RBAC',
        '--enable-admission-plugins=NodeRestriction',
        // That plugin puts a not-ready taint on every new Node, which only the node-lifecycle controller
        // removes, one update per node seconds after kwok reports Ready (23 s for 200 nodes here).
        // The controller still taints nodes that are not Ready, a real kubelet's included.
        '--disable-admission-plugins=TaintNodesByCondition',
        '--allow-privileged=true',
        `--kubelet-client-certificate=${pki.apiserverKubeletClient.cert}`,
        `--kubelet-client-key=${pki.apiserverKubeletClient.key}`,
        '--kubelet-preferred-address-types=InternalIP,Hostname',
        '--profiling=false',
      ];
    case 'kube-controller-manager':
      return [
        `--kubeconfig=${plan.kubeconfigs.controllerManager}`,
        '--leader-elect=false',
        '--secure-port=0',
        // As kubeadm: each controller acts as its own service account with its bootstrapped role.
        '--use-service-account-credentials=true',
        `--service-account-private-key-file=${pki.serviceAccountKey}`,
        `--root-ca-file=${pki.ca.cert}`,
        // Signs CSRs (a real kubelet's client and serving certificates) with the cluster CA.
        `--cluster-signing-cert-file=${pki.ca.cert}`,
        `--cluster-signing-key-file=${pki.ca.key}`,
        `--service-cluster-ip-range=${serviceCidr}`,
        ...limits,
      ];
    case 'kube-scheduler':
      return [
        `--kubeconfig=${plan.kubeconfigs.scheduler}`,
        '--leader-elect=false',
        '--secure-port=0',
        ...limits,
      ];
    case 'kwok':
      return [
        `--kubeconfig=${plan.kubeconfigs.kwok}`,
        `--config=${plan.kwokConfigFile}`,
        `--config=${plan.kwokStagesFile}`,
        // Only Nodes the launcher made: a real kubelet's Node is left to its kubelet.
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        `--cidr=${podCidr}`,
        '--node-ip=127.0.0.1',
        // Keeps each node's Lease fresh, so the node-lifecycle controller never marks them NotReady.
        '--node-lease-duration-seconds=40',
      ];
  }
}
