// Certificates and keys for one local cluster, made fresh per cluster with the openssl CLI (node:crypto
// makes keys but not certificates): a CA, the API server's serving certificate, client certificates
// for each identity (admin, controller-manager, scheduler, kwok, the API server towards kubelets, and
// later real nodes as system:node:<name>), and the service-account signing key pair.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ClusterError } from './errors.js';

const run = promisify(execFile);
// No distinguished-name prompts and no default extensions: every extension is given with -addext.
const minimalConfig = '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n';

export interface CertPair {
  cert: string;
  key: string;
}

export interface ClusterPki {
  dir: string;
  ca: CertPair;
  apiserver: CertPair;
  /** The API server's client certificate towards kubelets (logs, exec on a real node). */
  apiserverKubeletClient: CertPair;
  admin: CertPair;
  controllerManager: CertPair;
  scheduler: CertPair;
  kwok: CertPair;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

export interface Identity {
  commonName: string;
  organizations?: string[];
}

/** The identities the launcher's components use (RBAC subjects as kubeadm names them). */
export const identities = {
  admin: { commonName: 'livestream-admin', organizations: ['system:masters'] },
  controllerManager: { commonName: 'system:kube-controller-manager' },
  scheduler: { commonName: 'system:kube-scheduler' },
  // kwok stands in for every simulated node's kubelet and updates any node or pod, so it gets
  // cluster-admin rather than the Node authorizer's per-node rights.
  kwok: { commonName: 'kwok-controller', organizations: ['system:masters'] },
  apiserverKubeletClient: { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'] },
} satisfies Record<string, Identity>;

/** The identity a real node's kubelet presents (Node authorizer + NodeRestriction). */
export function nodeIdentity(nodeName: string): Identity {
  return { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'] };
}

export function subjectOf(identity: Identity): string {
  for (const part of [identity.commonName, ...(identity.organizations ?? [])])
    if (/[/\\\n]/.test(part))
      throw new Error(`certificate subject part "${part}" may not contain "/", "\\" or a newline`);
  return [...(identity.organizations ?? []).map((o) => `/O=${o}`), `/CN=${identity.commonName}`].join('');
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: 20_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new ClusterError(
        'LSO_CLUSTER_BINARIES_MISSING',
        'openssl is not installed; run tools/setup.sh (or apt-get install openssl)',
      );
    throw new ClusterError(
      'LSO_CLUSTER_START_FAILED',
      `openssl ${args[0]} failed: ${e.stderr?.trim() || e.message}`,
      { cause: err },
    );
  }
}

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function createCa(dir: string, configFile: string): Promise<CertPair> {
  const pair = { cert: path.join(dir, 'ca.crt'), key: path.join(dir, 'ca.key') };
  await openssl([
    'req', '-x509', '-config', configFile, ...ecKey, '-keyout', pair.key, '-out', pair.cert, '-days', '3650',
    '-subj', `/CN=livestream-localcluster-ca-${path.basename(path.dirname(dir))}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]); // prettier-ignore
  return pair;
}

async function sign(
  ca: CertPair,
  dir: string,
  name: string,
  identity: Identity,
  usage: { server?: { ips: string[]; dnsNames: string[] } } = {},
): Promise<CertPair> {
  const pair = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  const configFile = path.join(dir, 'openssl.cnf');
  const extensions = [
    '-addext',
    'basicConstraints=critical,CA:FALSE',
    '-addext',
    'keyUsage=critical,digitalSignature,keyEncipherment',
  ];
  if (usage.server) {
    const sans = [
      ...usage.server.ips.map((ip) => `IP:${ip}`),
      ...usage.server.dnsNames.map((d) => `DNS:${d}`),
    ];
    extensions.push('-addext', 'extendedKeyUsage=serverAuth', '-addext', `subjectAltName=${sans.join(',')}`);
  } else {
    extensions.push('-addext', 'extendedKeyUsage=clientAuth');
  }
  await openssl([
    'req', '-x509', '-config', configFile, '-CA', ca.cert, '-CAkey', ca.key, ...ecKey,
    '-keyout', pair.key, '-out', pair.cert, '-days', '365', '-subj', subjectOf(identity), ...extensions,
  ]); // prettier-ignore
  return pair;
}

export interface PkiOptions {
  /** IP addresses the API server's certificate is valid for (127.0.0.1 and the service IP at least). */
  serverIPs: string[];
  serverDnsNames?: string[];
}

/** Makes every certificate and key of a new cluster under `dir` (which must exist and be private). */
export async function createPki(dir: string, options: PkiOptions): Promise<ClusterPki> {
  const configFile = path.join(dir, 'openssl.cnf');
  await writeFile(configFile, minimalConfig);
  const ca = await createCa(dir, configFile);
  const dnsNames = [
    'localhost',
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
    ...(options.serverDnsNames ?? []),
  ];
  const [apiserver, apiserverKubeletClient, admin, controllerManager, scheduler, kwok] = await Promise.all([
    sign(
      ca,
      dir,
      'apiserver',
      { commonName: 'kube-apiserver' },
      { server: { ips: options.serverIPs, dnsNames } },
    ),
    sign(ca, dir, 'apiserver-kubelet-client', identities.apiserverKubeletClient),
    sign(ca, dir, 'admin', identities.admin),
    sign(ca, dir, 'kube-controller-manager', identities.controllerManager),
    sign(ca, dir, 'kube-scheduler', identities.scheduler),
    sign(ca, dir, 'kwok', identities.kwok),
  ]);
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const serviceAccountKey = path.join(dir, 'sa.key');
  const serviceAccountPub = path.join(dir, 'sa.pub');
  await writeFile(serviceAccountKey, privateKey, { mode: 0o600 });
  await writeFile(serviceAccountPub, publicKey);
  return {
    dir,
    ca,
    apiserver,
    apiserverKubeletClient,
    admin,
    controllerManager,
    scheduler,
    kwok,
    serviceAccountKey,
    serviceAccountPub,
  };
}

/**
 * A client certificate signed by the cluster's CA, for example for a real node's kubelet:
 * `issueClientCertificate(pki, nodeIdentity('worker-0'), dir, 'kubelet-worker-0')`.
 */
export async function issueClientCertificate(
  pki: Pick<ClusterPki, 'ca' | 'dir'>,
  identity: Identity,
  dir: string,
  name: string,
): Promise<CertPair> {
  const configFile = path.join(dir, 'openssl.cnf');
  await writeFile(configFile, minimalConfig);
  return sign(pki.ca, dir, name, identity);
}
