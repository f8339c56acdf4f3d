// `livestream-operator credentials <livestream> [-n namespace] [--kubeconfig file]`: what to type into
// OBS (Settings > Stream > Custom): the Server URL from the LiveStream's status and the Stream Key from
// its Secret. The only place the operator's code prints a stream key: to stdout, when asked.
import { parseArgs } from 'node:util';
import { ConfigError } from '../lib/errors.js';
import type { LiveStream } from './api/v1alpha1/index.js';
import { streamKeySecretRef } from './api/v1alpha1/index.js';
import { loadKubeConfig } from './kubeconfig.js';
import { KubeClient, isNotFound } from './runtime/rest.js';
import { kinds, objectPath } from './runtime/resources.js';

export const credentialsHelp = `Usage: livestream-operator credentials <livestream> [-n <namespace>] [--kubeconfig <file>]

Prints what an encoder needs to publish to a LiveStream (OBS: Settings > Stream > Service "Custom..."):
  Server      the ingest URL from the LiveStream's status (status.ingest.url)
  Stream Key  the key from the stream key Secret (status.ingest.streamKeySecretRef)
Treat the output as a secret. Needs get on livestreams and secrets in the namespace.
`;

export interface Credentials {
  server: string;
  streamKey: string;
}

export async function readCredentials(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<Credentials> {
  let stream: LiveStream;
  try {
    stream = await client.get<LiveStream>(objectPath(kinds.LiveStream, namespace, name));
  } catch (err) {
    if (isNotFound(err)) throw new ConfigError(`LiveStream ${name} does not exist in namespace ${namespace}`);
    throw err;
  }
  const server = stream.status?.ingest?.url;
  if (!server)
    throw new ConfigError(
      `LiveStream ${namespace}/${name} has no ingest URL in its status yet: is the operator running?`,
    );
  const ref = stream.status?.ingest?.streamKeySecretRef ?? streamKeySecretRef(stream);
  const secret = await client
    .get<{ data?: Record<string, string> }>(objectPath(kinds.Secret, namespace, ref.name))
    .catch((err: unknown) => {
      if (isNotFound(err))
        throw new ConfigError(
          `the stream key Secret ${ref.name} does not exist in namespace ${namespace} yet`,
        );
      throw err;
    });
  const encoded = secret.data?.[ref.key];
  if (!encoded) throw new ConfigError(`Secret ${ref.name} has no key ${ref.key}`);
  return { server, streamKey: Buffer.from(encoded, 'base64').toString('utf8') };
}

export async function credentialsCommand(argv: string[], out: (text: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      namespace: { type: 'string', short: 'n' },
      kubeconfig: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return out(credentialsHelp);
  if (positionals.length !== 1)
    throw new ConfigError(`give exactly one LiveStream name\n\n${credentialsHelp}`);
  const kc = loadKubeConfig(values.kubeconfig);
  const namespace = values.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  const c = await readCredentials(new KubeClient(kc), namespace, positionals[0]!);
  out(`Server:     ${c.server}\nStream Key: ${c.streamKey}\n`);
}
