// kubeconfig files with the certificates embedded, so one file is all a client needs.
import { stringify } from 'yaml';

export interface KubeconfigInput {
  clusterName: string;
  server: string;
  userName: string;
  caPem: string;
  clientCertPem: string;
  clientKeyPem: string;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

export function renderKubeconfig(input: KubeconfigInput): string {
  const context = input.clusterName;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: input.clusterName,
        cluster: { server: input.server, 'certificate-authority-data': b64(input.caPem) },
      },
    ],
    users: [
      {
        name: input.userName,
        user: {
          'client-certificate-data': b64(input.clientCertPem),
          'client-key-data': b64(input.clientKeyPem),
        },
      },
    ],
    contexts: [{ name: context, context: { cluster: input.clusterName, user: input.userName } }],
    'current-context': context,
    preferences: {},
  });
}
