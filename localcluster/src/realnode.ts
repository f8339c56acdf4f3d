// Room for a real node (kubelet + container runtime) joining a running local cluster: credentials for
// its kubelet as system:node:<name>, signed by the cluster's CA, so the Node authorizer and the
// NodeRestriction admission plugin give it exactly a node's rights. How to join: docs/localcluster.md.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderKubeconfig } from './kubeconfig.js';
import { issueClientCertificate, nodeIdentity } from './pki.js';
import { readState, type ClusterState } from './state.js';

export interface NodeCredentials {
  /** A kubeconfig for the kubelet (--kubeconfig), certificates embedded. */
  kubeconfigPath: string;
  cert: string;
  key: string;
  /** The cluster CA, for the kubelet's x509 client authentication (authentication.x509.clientCAFile). */
  caCert: string;
  server: string;
}

const nodeName = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** The state of the cluster a kubeconfig written by the launcher belongs to (it sits next to state.json). */
export async function clusterOf(kubeconfigPath: string): Promise<ClusterState> {
  const state = await readState(path.dirname(kubeconfigPath));
  if (!state)
    throw new Error(
      `${kubeconfigPath} was not written by the local cluster launcher (no state.json beside it)`,
    );
  return state;
}

export async function issueNodeCredentials(
  state: ClusterState,
  name: string,
  dir: string,
): Promise<NodeCredentials> {
  if (name.length > 63 || !nodeName.test(name))
    throw new Error(
      `node name "${name}" must be a DNS name: lower-case letters, digits, "-" and ".", at most 63 characters`,
    );
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caCert = path.join(state.dataDir, 'pki', 'ca.crt');
  const pki = {
    dir: path.join(state.dataDir, 'pki'),
    ca: { cert: caCert, key: path.join(state.dataDir, 'pki', 'ca.key') },
  };
  const pair = await issueClientCertificate(pki, nodeIdentity(name), dir, `kubelet-${name}`);
  const kubeconfigPath = path.join(dir, `kubelet-${name}.kubeconfig`);
  await writeFile(
    kubeconfigPath,
    renderKubeconfig({
      clusterName: 'livestream-local',
      server: state.server,
      userName: `system:node:${name}`,
      caPem: await readFile(caCert, 'utf8'),
      clientCertPem: await readFile(pair.cert, 'utf8'),
      clientKeyPem: await readFile(pair.key, 'utf8'),
    }),
    { mode: 0o600 },
  );
  return { kubeconfigPath, cert: pair.cert, key: pair.key, caCert, server: state.server };
}
