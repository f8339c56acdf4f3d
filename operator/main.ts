#!/usr/bin/env node
// Entrypoint of livestream-operator: the controller (default) or the `credentials` subcommand.
import { runMain } from '../lib/cli.js';
import { ConfigError } from '../lib/errors.js';
import { Logger, parseLevel } from '../lib/log.js';
import { Shutdown } from '../lib/shutdown.js';
import { credentialsCommand } from './credentials.js';
import {
  deviceGroups,
  identityFrom,
  list,
  operatorOptions,
  policyFrom,
  type OperatorOptions,
} from './flags.js';
import { loadKubeConfig } from './kubeconfig.js';
import { Manager } from './manager.js';
import { KubeClient } from './runtime/rest.js';

const command = {
  name: 'livestream-operator',
  summary: 'Reconciles LiveStream and TranscodeProfile resources into ingest and transcoder workloads.',
  epilog: [
    'Subcommands:',
    '  credentials <livestream> [-n ns]   Print the OBS Server URL and Stream Key of a LiveStream',
    '',
    'Reference: docs/operator.md (flags, conditions, metrics, permissions).',
  ].join('\n'),
  options: operatorOptions,
};

async function run(o: OperatorOptions): Promise<void> {
  const log = new Logger({ component: 'operator' }, { level: parseLevel(o.logLevel) });
  const kc = loadKubeConfig(o.kubeconfig);
  const client = new KubeClient(kc);
  const identity = identityFrom(o);
  if (o.leaderElect && !o.leaderElectionNamespace)
    throw new ConfigError(
      '--leader-elect needs --leader-election-namespace (or POD_NAMESPACE): where the Lease lives',
    );
  if (o.renewDeadline >= o.leaseDuration)
    throw new ConfigError('--renew-deadline must be shorter than --lease-duration');
  const manager = new Manager({
    client,
    log,
    identity,
    workers: o.workers,
    namespaces: list(o.watchNamespaces),
    http: { host: o.httpHost, port: o.httpPort },
    leaderElection: o.leaderElect
      ? {
          namespace: o.leaderElectionNamespace!,
          name: o.leaderElectionId,
          leaseDurationMs: o.leaseDuration,
          renewDeadlineMs: o.renewDeadline,
          retryPeriodMs: o.retryPeriod,
        }
      : undefined,
    policy: policyFrom(o),
    build: {
      images: {
        ingest: o.ingestImage,
        transcoder: o.transcoderImage,
        ...(o.transcoderNvidiaImage ? { transcoderNvidia: o.transcoderNvidiaImage } : {}),
      },
      imagePullPolicy: o.imagePullPolicy,
      imagePullSecrets: list(o.imagePullSecrets),
      clusterDomain: o.clusterDomain,
      amdDeviceGroups: deviceGroups(o.amdDeviceGroups),
    },
    clusterDomain: o.clusterDomain,
    unschedulableTimeoutMs: o.unschedulableTimeout,
    liveStatus: { enabled: o.liveStatus, intervalMs: o.liveStatusInterval, timeoutMs: 1_000 },
    resyncMs: o.resyncPeriod,
  });
  const shutdown = new Shutdown({ graceMs: 30_000, log });
  shutdown.add('operator', () => manager.stop());
  shutdown.listen();
  log.info('starting', {
    identity,
    server: client.server.origin,
    namespaces: o.watchNamespaces || 'all',
    leaderElection: o.leaderElect,
    workers: o.workers,
  });
  await manager.start();
}

const argv = process.argv.slice(2);
if (argv[0] === 'credentials') {
  await credentialsCommand(argv.slice(1), (t) => process.stdout.write(t)).catch((err: unknown) => {
    process.stderr.write(`livestream-operator credentials: ${(err as Error).message}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  });
} else {
  await runMain(command, run, argv);
}
