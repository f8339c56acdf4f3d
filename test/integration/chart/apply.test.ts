// The chart against the real local API server (kube-apiserver v1.36, kubectl v1.36 from the cluster's
// binaries): every documented values combination rendered and applied with a server-side dry run
// (CRDs installed first: the chart's own, and the Prometheus Operator's three, vendored in
// prometheus-operator-crds/); the operator pod admitted under the restricted Pod Security Standard;
// a real `helm install`, `upgrade` and `uninstall` (CRDs upgraded with the chart, kept on uninstall);
// RBAC checked with `kubectl auth can-i` as the operator's ServiceAccount; the NOTES example
// accepted; the flags the chart passes known to the operator.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { useCluster, type TestCluster } from '../../../localcluster/src/testing.js';
import { chartDir, repoRoot } from '../../../tools/chart/generate.js';
import {
  find,
  helm,
  notes,
  parseObjects,
  render,
  valuesCombinations,
  type K8sObject,
} from '../../../tools/chart/helm.js';
import { Proc, freePort, operatorMissing, until } from '../support/processes.js';
import { evaluateHealth } from '../../unit/gitops/lua.js';

const healthDir = path.join(repoRoot, 'gitops/argocd/resource_customizations/livestream-operator.io');

const suffix = randomBytes(3).toString('hex');
let cluster: TestCluster;
const createdNamespaces: string[] = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'lso-chart-'));

async function kubectl(args: string[], input?: string): Promise<string> {
  const res = await cluster.kubectl(args, { input, timeoutMs: 120_000 });
  assert.equal(res.code, 0, `kubectl ${args.join(' ')} failed:\n${res.stderr}`);
  return res.stdout + res.stderr;
}

const toYaml = (objects: K8sObject[]): string => objects.map((o) => YAML.stringify(o)).join('---\n');

async function ensureNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
  const exists = await cluster.kubectl(['get', 'namespace', name]);
  if (exists.code !== 0) {
    await kubectl(['create', 'namespace', name]);
    createdNamespaces.push(name);
  }
  if (Object.keys(labels).length)
    await kubectl([
      'label',
      'namespace',
      name,
      '--overwrite',
      ...Object.entries(labels).map(([k, v]) => `${k}=${v}`),
    ]);
}

/** Server-side apply, for real or as a dry run; returns kubectl's output (warnings included). */
async function apply(objects: K8sObject[], dryRun: boolean): Promise<string> {
  return kubectl(
    [
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=livestream-chart-test',
      ...(dryRun ? ['--dry-run=server'] : []),
      '-f',
      '-',
    ],
    toYaml(objects),
  );
}

before(async () => {
  cluster = await useCluster();
  // The Prometheus Operator's CRDs (v0.85.0, unchanged) and the chart's CRDs, for real.
  const promDir = path.join(import.meta.dirname, 'prometheus-operator-crds');
  const promCrds = readdirSync(promDir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseObjects(readFileSync(path.join(promDir, f), 'utf8')));
  await apply(promCrds, false);
  await apply(find(await render(), 'CustomResourceDefinition'), false);
  await kubectl([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/servicemonitors.monitoring.coreos.com',
    'crd/podmonitors.monitoring.coreos.com',
    'crd/prometheusrules.monitoring.coreos.com',
    'crd/livestreams.livestream-operator.io',
    'crd/transcodeprofiles.livestream-operator.io',
  ]);
});

after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  for (const ns of createdNamespaces) await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
  await cluster?.stop();
});

describe(
  'every values combination is accepted by the API server (server-side dry run)',
  { concurrency: 4 },
  () => {
    for (const combo of valuesCombinations()) {
      it(combo.name, async () => {
        const namespace = `chart-${combo.name.slice(0, 40)}-${suffix}`;
        await ensureNamespace(namespace, {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        });
        const objects = await render({ namespace, valuesFile: combo.file });
        for (const ns of new Set(
          objects.map((o) => o.metadata.namespace).filter((n): n is string => !!n && n !== namespace),
        ))
          await ensureNamespace(ns);
        const output = await apply(objects, true);
        for (const o of objects)
          assert.match(
            output,
            new RegExp(
              `${o.kind.toLowerCase()}[^ ]*/${o.metadata.name} serverside-applied \\(server dry run\\)`,
              'i',
            ),
            `${o.kind}/${o.metadata.name} applied`,
          );
        assert.doesNotMatch(
          output,
          /would violate PodSecurity/,
          'the Deployment meets the restricted Pod Security Standard',
        );

        // The operator pod itself, admitted by Pod Security Admission (enforce: restricted). Its
        // ServiceAccount must exist for the dry run (the gitops combination names one made elsewhere).
        const deployment = find(objects, 'Deployment')[0]! as K8sObject & {
          spec: {
            template: { metadata: { labels: Record<string, string> }; spec: { serviceAccountName: string } };
          };
        };
        const sa = deployment.spec.template.spec.serviceAccountName;
        if ((await cluster.kubectl(['-n', namespace, 'get', 'serviceaccount', sa])).code !== 0)
          await kubectl(['-n', namespace, 'create', 'serviceaccount', sa]);
        const pod = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${deployment.metadata.name}-pss`,
            namespace,
            labels: deployment.spec.template.metadata.labels,
          },
          spec: deployment.spec.template.spec,
        };
        await apply([pod as K8sObject], true);
      });
    }
  },
);

describe('a values combination the server refuses is reported with the field', () => {
  it('a NetworkPolicy with an API server CIDR that is not one is refused by the API server', async () => {
    const namespace = `chart-bad-${suffix}`;
    await ensureNamespace(namespace);
    const objects = await render({
      namespace,
      set: ['networkPolicy.enabled=true', 'networkPolicy.apiServer.cidrs={not-a-cidr}'],
    });
    const res = await cluster.kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], {
      input: toYaml(find(objects, 'NetworkPolicy')),
    });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /spec\.egress\[1\]\.to\[0\]\.ipBlock\.cidr/);
  });
});

describe('helm install, upgrade and uninstall against the real API server', () => {
  const release = `lso-${suffix}`;
  const namespace = `chart-helm-${suffix}`;
  const crdNames = ['livestreams.livestream-operator.io', 'transcodeprofiles.livestream-operator.io'];
  const hk = (...args: string[]) => helm([...args, '--kubeconfig', cluster.kubeconfigPath]);

  before(async () => {
    // CRDs that exist already (installed from crds/, or by an earlier release) are adopted by the
    // release, as docs/helm.md says to do.
    for (const crd of crdNames) {
      await kubectl(['label', 'crd', crd, '--overwrite', 'app.kubernetes.io/managed-by=Helm']);
      await kubectl([
        'annotate',
        'crd',
        crd,
        '--overwrite',
        `meta.helm.sh/release-name=${release}`,
        `meta.helm.sh/release-namespace=${namespace}`,
      ]);
    }
  });

  it('installs and the operator Deployment rolls out (pods on the simulated nodes)', async () => {
    const res = await hk(
      'install',
      release,
      chartDir,
      '--namespace',
      namespace,
      '--create-namespace',
      '--wait',
      '--timeout',
      '120s',
    );
    createdNamespaces.push(namespace);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /STATUS: deployed/);
    assert.match(
      res.stdout,
      new RegExp(`kubectl -n ${namespace} rollout status deployment/${release}-livestream-operator`),
    );
    await kubectl([
      '-n',
      namespace,
      'rollout',
      'status',
      `deployment/${release}-livestream-operator`,
      '--timeout=60s',
    ]);
  });

  it("the operator's ServiceAccount may do what it needs and nothing more (kubectl auth can-i)", async () => {
    const as = `--as=system:serviceaccount:${namespace}:${release}-livestream-operator`;
    // resource: TYPE, TYPE/NAME, or TYPE:SUBRESOURCE.
    const can = async (verb: string, resource: string, ns?: string): Promise<boolean> => {
      const [type, subresource] = resource.split(':');
      const res = await cluster.kubectl([
        'auth',
        'can-i',
        verb,
        type!,
        ...(subresource ? [`--subresource=${subresource}`] : []),
        as,
        ...(ns ? ['-n', ns] : ['--all-namespaces']),
      ]);
      return res.stdout.trim() === 'yes';
    };
    for (const [verb, resource, ns] of [
      ['watch', 'livestreams.livestream-operator.io'],
      ['patch', 'livestreams.livestream-operator.io:status'],
      ['patch', 'transcodeprofiles.livestream-operator.io:status'],
      ['patch', 'deployments.apps'],
      ['create', 'services'],
      ['create', 'secrets'],
      ['list', 'pods'],
      ['watch', 'nodes'],
      ['create', 'events.events.k8s.io'],
      ['update', 'leases.coordination.k8s.io/livestream-operator', namespace],
    ] as [string, string, string?][])
      assert.ok(await can(verb, resource, ns), `may ${verb} ${resource}`);
    for (const [verb, resource, ns] of [
      ['update', 'livestreams.livestream-operator.io'],
      ['update', 'livestreams.livestream-operator.io:status'],
      ['update', 'deployments.apps'],
      ['update', 'configmaps'],
      ['patch', 'events.events.k8s.io'],
      ['create', 'pods'],
      ['delete', 'secrets'],
      ['update', 'secrets'],
      ['create', 'pods:exec'],
      ['delete', 'nodes'],
      ['update', 'nodes'],
      ['create', 'clusterroles.rbac.authorization.k8s.io'],
      ['update', 'customresourcedefinitions.apiextensions.k8s.io'],
      ['update', 'leases.coordination.k8s.io/someone-elses-lease', namespace],
      ['create', 'serviceaccounts:token'],
    ] as [string, string, string?][])
      assert.ok(!(await can(verb, resource, ns)), `may not ${verb} ${resource}`);
  });

  it('upgrade: the CRDs are upgraded with the chart (a drifted CRD is put back)', async () => {
    await kubectl([
      'annotate',
      'crd',
      crdNames[0]!,
      '--overwrite',
      'argocd.argoproj.io/sync-options=Drifted',
    ]);
    const res = await hk(
      'upgrade',
      release,
      chartDir,
      '--namespace',
      namespace,
      '--set',
      'replicaCount=2',
      '--wait',
      '--timeout',
      '120s',
    );
    assert.equal(res.code, 0, res.stderr);
    const crd = JSON.parse(await kubectl(['get', 'crd', crdNames[0]!, '-o', 'json'])) as K8sObject;
    assert.equal(
      crd.metadata.annotations?.['argocd.argoproj.io/sync-options'],
      'Prune=false,ServerSideApply=true',
    );
    const pdb = await cluster.kubectl(['-n', namespace, 'get', 'pdb', `${release}-livestream-operator`]);
    assert.equal(pdb.code, 0, 'replicaCount=2 adds the PodDisruptionBudget');
  });

  it('uninstall removes the operator and keeps the CRDs (and so every LiveStream)', async () => {
    const res = await hk('uninstall', release, '--namespace', namespace, '--wait', '--timeout', '120s');
    assert.equal(res.code, 0, res.stderr);
    assert.match(
      res.stdout + res.stderr,
      /These resources were kept due to the resource policy:[\s\S]*CustomResourceDefinition/,
    );
    for (const crd of crdNames) await kubectl(['get', 'crd', crd]);
    const deploy = await cluster.kubectl([
      '-n',
      namespace,
      'get',
      'deployment',
      `${release}-livestream-operator`,
    ]);
    assert.notEqual(deploy.code, 0, 'the Deployment is gone');
  });
});

describe('watchNamespaces, installed for real: the operator is confined to the listed namespaces', () => {
  it('can read LiveStreams and manage children in team namespaces only; Nodes everywhere', async () => {
    const namespace = `chart-wn-${suffix}`;
    const teams = [`team-x-${suffix}`, `team-y-${suffix}`];
    for (const ns of [namespace, ...teams]) await ensureNamespace(ns);
    const objects = (
      await render({
        namespace,
        release: `wn-${suffix}`,
        set: [`watchNamespaces={${teams.join(',')}}`, 'crds.create=false'],
      })
    ).filter((o) =>
      ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind),
    );
    await apply(objects, false);
    try {
      const as = `--as=system:serviceaccount:${namespace}:wn-${suffix}-livestream-operator`;
      const can = async (args: string[]) =>
        (await cluster.kubectl(['auth', 'can-i', ...args, as])).stdout.trim() === 'yes';
      assert.ok(await can(['watch', 'livestreams.livestream-operator.io', '-n', teams[0]!]));
      assert.ok(await can(['create', 'secrets', '-n', teams[1]!]));
      assert.ok(await can(['list', 'nodes']));
      assert.ok(!(await can(['watch', 'livestreams.livestream-operator.io', '--all-namespaces'])));
      assert.ok(!(await can(['get', 'secrets', '-n', 'kube-system'])));
      assert.ok(!(await can(['create', 'deployments.apps', '-n', 'default'])));
    } finally {
      await kubectl(
        ['delete', '--ignore-not-found', '-f', '-'],
        toYaml(objects.filter((o) => o.kind.startsWith('Cluster'))),
      );
    }
  });
});

describe('what the chart tells the user', () => {
  it('NOTES.txt: how to wait for the operator, create a first stream, publish, play, and monitor', async () => {
    const text = await notes(cluster.kubeconfigPath, { namespace: 'streaming' });
    assert.match(text, /kubectl -n streaming rollout status deployment\/livestream-operator/);
    assert.match(text, /kind: TranscodeProfile/);
    assert.match(text, /kind: LiveStream/);
    assert.match(text, /wait --for=condition=Ready livestream\/my-stream/);
    assert.match(text, /status\.ingest\.url/);
    assert.match(text, /my-stream-stream-key/);
    assert.match(text, /hlsUrl/);
    assert.match(text, /monitoring\.serviceMonitor\.enabled/);
    assert.match(text, /docs\/gitops\.md/);
  });

  it('NOTES.txt with watchNamespaces: the example uses a namespace the operator manages', async () => {
    const text = await notes(cluster.kubeconfigPath, { set: ['watchNamespaces={studio,backstage}'] });
    assert.match(text, /manages LiveStreams in: studio, backstage/);
    assert.match(text, /kubectl -n studio apply -f -/);
  });

  it('NOTES.txt with crds.create=false: install the CRDs first', async () => {
    assert.match(
      await notes(cluster.kubeconfigPath, { set: ['crds.create=false'] }),
      /install the CRDs yourself first/,
    );
  });

  it("the NOTES example (a TranscodeProfile and a LiveStream) is accepted by the API server's schema", async () => {
    const namespace = `chart-notes-${suffix}`;
    await ensureNamespace(namespace);
    const text = await notes(cluster.kubeconfigPath, { set: [`watchNamespaces={${namespace}}`] });
    const heredoc = /apply -f - <<'YAML'\n([\s\S]*?)\n\s*YAML\n/.exec(text);
    assert.ok(heredoc, 'NOTES has an apply heredoc');
    const manifest = heredoc[1]!.replace(/^ {3}/gm, '');
    const out = await kubectl(
      ['-n', namespace, 'apply', '--server-side', '--dry-run=server', '-f', '-'],
      manifest,
    );
    assert.match(out, /transcodeprofile.livestream-operator.io\/seed-ladder serverside-applied/);
    assert.match(out, /livestream.livestream-operator.io\/my-stream serverside-applied/);
  });

  it('the GitOps folder of LiveStreams is accepted by the API server', async () => {
    const namespace = `chart-gitops-${suffix}`;
    await ensureNamespace(namespace);
    const dir = path.join(repoRoot, 'gitops/livestreams');
    const objects = readdirSync(dir).flatMap((f) => parseObjects(readFileSync(path.join(dir, f), 'utf8')));
    await apply(
      objects.map((o) => ({ ...o, metadata: { ...o.metadata, namespace } })),
      true,
    );
  });
});

describe("the operator runs with the chart's command line and nothing but the chart's RBAC", () => {
  // Until the operator lands this only says so; then it proves the flags parse and the rights suffice:
  // the real operator, started with the Deployment's own arguments and a token of the chart's
  // ServiceAccount (watchNamespaces mode, the narrowest), syncs its caches, takes the Lease, and
  // reconciles a LiveStream into its children, with no request refused; and the Argo CD health checks
  // read its statuses as Healthy, Degraded (a missing profile) and Suspended.
  it('caches sync, the Lease is taken, LiveStreams get their children, status and Argo CD health', async (t) => {
    const missing = await operatorMissing();
    if (missing) {
      t.skip(missing);
      return;
    }
    const namespace = `chart-op-${suffix}`;
    const streams = `chart-op-streams-${suffix}`;
    const release = `op-${suffix}`;
    for (const ns of [namespace, streams]) await ensureNamespace(ns);
    const objects = await render({
      namespace,
      release,
      valuesFile: path.join(chartDir, 'ci/gpu-values.yaml'),
      set: [`watchNamespaces={${streams}}`, 'crds.create=false'],
    });
    const rbac = objects.filter((o) =>
      ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind),
    );
    await apply(rbac, false);
    const proc: { p?: Proc } = {};
    try {
      const sa = `${release}-livestream-operator`;
      const token = (await kubectl(['-n', namespace, 'create', 'token', sa, '--duration=1h'])).trim();
      const current = cluster.kubeConfig.getCurrentCluster()!;
      const ca =
        current.caData ?? (current.caFile ? readFileSync(current.caFile).toString('base64') : undefined);
      const kubeconfig = path.join(tmp, 'operator.kubeconfig');
      writeFileSync(
        kubeconfig,
        YAML.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [
            { name: 'local', cluster: { server: current.server, 'certificate-authority-data': ca } },
          ],
          users: [{ name: sa, user: { token } }],
          contexts: [{ name: sa, context: { cluster: 'local', user: sa } }],
          'current-context': sa,
        }),
      );
      const deployment = find(objects, 'Deployment')[0]! as K8sObject & {
        spec: { template: { spec: { containers: { args: string[] }[] } } };
      };
      const port = await freePort();
      // The Deployment's arguments as they are; then where this process listens and its credentials.
      const args = [
        ...deployment.spec.template.spec.containers[0]!.args,
        `--kubeconfig=${kubeconfig}`,
        '--http-host=127.0.0.1',
        `--http-port=${port}`,
      ];
      const env: NodeJS.ProcessEnv = { ...process.env, POD_NAMESPACE: namespace, POD_NAME: `${sa}-test` };
      delete env.KUBECONFIG;
      proc.p = new Proc(
        'operator',
        process.execPath,
        ['--import', 'tsx', path.join(repoRoot, 'operator/main.ts'), ...args],
        {
          cwd: repoRoot,
          env,
        },
      );
      const op = proc.p;
      await until(
        'the operator to be ready (caches synced)',
        async () => {
          if (!op.running) throw new Error(op.tail(40));
          return (await fetch(`http://127.0.0.1:${port}/readyz`)).ok;
        },
        90_000,
        500,
      );
      await kubectl(
        ['-n', streams, 'apply', '-f', '-'],
        [
          {
            apiVersion: 'livestream-operator.io/v1alpha1',
            kind: 'TranscodeProfile',
            metadata: { name: 'small' },
            spec: {
              renditions: [
                { name: '360p', width: 640, height: 360, videoBitrateKbps: 800, audioBitrateKbps: 96 },
              ],
            },
          },
          {
            apiVersion: 'livestream-operator.io/v1alpha1',
            kind: 'LiveStream',
            metadata: { name: 'main' },
            spec: { profileRef: { name: 'small' }, placement: { acceleratorPreference: ['cpu'] } },
          },
          {
            apiVersion: 'livestream-operator.io/v1alpha1',
            kind: 'LiveStream',
            metadata: { name: 'orphan' },
            spec: { profileRef: { name: 'no-such-profile' } },
          },
          {
            apiVersion: 'livestream-operator.io/v1alpha1',
            kind: 'LiveStream',
            metadata: { name: 'paused' },
            spec: { profileRef: { name: 'small' }, suspend: true },
          },
        ]
          .map((o) => YAML.stringify(o))
          .join('---\n'),
      );
      await until(
        'the LiveStream to be reconciled',
        async () => {
          if (!op.running) throw new Error(op.tail(40));
          const ls = JSON.parse(
            await kubectl(['-n', streams, 'get', 'livestream', 'main', '-o', 'json']),
          ) as {
            status?: { observedGeneration?: number; conditions?: { type: string }[] };
          };
          return (
            ls.status?.observedGeneration === 1 &&
            (ls.status.conditions ?? []).some((c) => c.type === 'Ready')
          );
        },
        90_000,
        500,
      );
      for (const [kind, name] of <[string, string][]>[
        ['deployment', 'main-ingest'],
        ['deployment', 'main-transcoder'],
        ['service', 'main-ingest'],
        ['configmap', 'main-transcoder'],
        ['secret', 'main-stream-key'],
      ])
        await until(
          `${kind}/${name}`,
          async () => (await cluster.kubectl(['-n', streams, 'get', kind, name])).code === 0,
          60_000,
          500,
        );
      const lease = JSON.parse(
        await kubectl(['-n', namespace, 'get', 'lease', 'livestream-operator', '-o', 'json']),
      ) as {
        spec: { holderIdentity: string };
      };
      assert.equal(lease.spec.holderIdentity, `${sa}-test`);
      assert.doesNotMatch(op.output.join('\n'), /forbidden/i, 'no request of the operator was refused');

      // The Argo CD health checks on what the operator really wrote (Lua 5.1, as in test/unit/gitops).
      const health = async (kind: string, name: string, want: string): Promise<void> => {
        const script = path.join(
          healthDir,
          kind === 'livestream' ? 'LiveStream' : 'TranscodeProfile',
          'health.lua',
        );
        await until(
          `${kind}/${name} to be ${want} for Argo CD`,
          async () => {
            const obj: unknown = JSON.parse(await kubectl(['-n', streams, 'get', kind, name, '-o', 'json']));
            const result = evaluateHealth(script, obj);
            if (result.status !== want) throw new Error(`${result.status}: ${result.message}`);
            return result;
          },
          60_000,
          500,
        );
      };
      await health('livestream', 'main', 'Healthy');
      await health('livestream', 'orphan', 'Degraded');
      await health('livestream', 'paused', 'Suspended');
      await health('transcodeprofile', 'small', 'Healthy');
    } finally {
      await proc.p?.stop();
      await cluster.kubectl(['-n', streams, 'delete', 'livestream', '--all', '--wait=false']);
      await cluster.kubectl(['delete', '-f', '-', '--ignore-not-found'], {
        input: toYaml(rbac.filter((o) => o.kind.startsWith('Cluster'))),
      });
    }
  });
});
