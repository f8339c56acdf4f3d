// The chart rendered with helm (the pinned binary, built from Go modules): `helm lint --strict` and
// `helm template` for the defaults and every documented combination (charts/livestream-operator/ci),
// and what each combination must and must not render. The API server's verdict on all of it is in
// test/integration/chart.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { chartDir, repoRoot } from '../../../tools/chart/generate.js';
import { find, lint, render, valuesCombinations, type K8sObject } from '../../../tools/chart/helm.js';

const chart = YAML.parse(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as {
  appVersion: string;
  version: string;
};
const ci = (name: string): string => path.join(chartDir, 'ci', `${name}-values.yaml`);

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
type Container = {
  name: string;
  image: string;
  args: string[];
  securityContext: Record<string, unknown>;
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
};
type PodSpec = {
  securityContext: Record<string, unknown>;
  containers: Container[];
  serviceAccountName: string;
  affinity?: unknown;
  automountServiceAccountToken?: boolean;
};
type Deployment = K8sObject & {
  spec: {
    replicas: number;
    strategy: { type: string };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
};

function deployment(objects: K8sObject[]): Deployment {
  const [d] = find(objects, 'Deployment');
  assert.ok(d, 'a Deployment is rendered');
  return d as Deployment;
}

/** The operator's flags: --flag=value, or a bare --flag (a boolean that is on) as 'true'. */
function args(objects: K8sObject[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const arg of deployment(objects).spec.template.spec.containers[0]!.args) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    assert.ok(m, `argument ${arg} has the form --flag or --flag=value`);
    map.set(m[1]!, m[2] ?? 'true');
  }
  return map;
}

function rulesOf(objects: K8sObject[], kind: 'Role' | 'ClusterRole', name?: string): Rule[] {
  return find(objects, kind, name).flatMap((r) => (r.rules as Rule[] | undefined) ?? []);
}

describe('helm lint and helm template, for the defaults and every documented combination', () => {
  for (const combo of valuesCombinations()) {
    describe(combo.name, () => {
      it('helm lint --strict passes', async () => {
        const result = await lint({ valuesFile: combo.file });
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      });

      it('renders objects that every carry the chart labels, in the right namespace', async () => {
        const objects = await render({ valuesFile: combo.file });
        assert.ok(objects.length > 5);
        const clusterScoped = new Set(['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition']);
        for (const o of objects) {
          const labels = o.metadata.labels ?? {};
          assert.equal(
            labels['app.kubernetes.io/instance'],
            'livestream-operator',
            `${o.kind}/${o.metadata.name} instance label`,
          );
          assert.equal(
            labels['app.kubernetes.io/name'],
            'livestream-operator',
            `${o.kind}/${o.metadata.name} name label`,
          );
          if (clusterScoped.has(o.kind))
            assert.equal(o.metadata.namespace, undefined, `${o.kind} is cluster-scoped`);
          else assert.ok(o.metadata.namespace, `${o.kind}/${o.metadata.name} has a namespace`);
        }
      });

      it('the operator runs restricted: non-root, read-only root, no capabilities, RuntimeDefault seccomp, probes, resources', async () => {
        const objects = await render({ valuesFile: combo.file });
        const pod = deployment(objects).spec.template.spec;
        assert.equal(pod.securityContext.runAsNonRoot, true);
        assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
        const c = pod.containers[0]!;
        assert.equal(c.securityContext.allowPrivilegeEscalation, false);
        assert.equal(c.securityContext.readOnlyRootFilesystem, true);
        assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] });
        assert.ok(c.livenessProbe && c.readinessProbe, 'probes');
        assert.ok(
          c.resources.requests?.cpu && c.resources.requests.memory && c.resources.limits?.memory,
          'requests and a memory limit',
        );
      });

      it('RBAC has no wildcards and no rights beyond what the operator uses', async () => {
        const objects = await render({ valuesFile: combo.file });
        const allowed: Record<string, string[]> = {
          'livestream-operator.io/livestreams': [
            'get',
            'list',
            'watch',
            'create',
            'update',
            'patch',
            'delete',
            'deletecollection',
          ],
          'livestream-operator.io/transcodeprofiles': [
            'get',
            'list',
            'watch',
            'create',
            'update',
            'patch',
            'delete',
            'deletecollection',
          ],
          'livestream-operator.io/livestreams/status': ['get', 'update', 'patch', 'list', 'watch'],
          'livestream-operator.io/transcodeprofiles/status': ['get', 'update', 'patch', 'list', 'watch'],
          'livestream-operator.io/livestreams/finalizers': ['update'],
          'apps/deployments': ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
          '/services': ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
          '/configmaps': ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
          '/secrets': ['get', 'list', 'watch', 'create'],
          '/pods': ['get', 'list', 'watch'],
          '/nodes': ['get', 'list', 'watch'],
          'events.k8s.io/events': ['create', 'patch'],
          'coordination.k8s.io/leases': ['create', 'get', 'update'],
        };
        const roles = [...find(objects, 'Role'), ...find(objects, 'ClusterRole')];
        for (const role of roles) {
          for (const rule of (role.rules as Rule[]) ?? []) {
            for (const group of rule.apiGroups)
              for (const resource of rule.resources) {
                const key = `${group}/${resource}`;
                assert.ok(
                  allowed[key],
                  `${role.kind}/${role.metadata.name} grants ${key}, which the operator does not use`,
                );
                for (const verb of rule.verbs)
                  assert.ok(allowed[key].includes(verb), `${role.metadata.name}: ${verb} on ${key}`);
              }
            assert.ok(
              ![...rule.apiGroups, ...rule.resources, ...rule.verbs].includes('*'),
              `${role.metadata.name} has a wildcard`,
            );
          }
        }
        const sa = find(objects, 'ServiceAccount')[0];
        if (sa) assert.equal(sa.automountServiceAccountToken, false, 'only the operator pod mounts a token');
      });

      it('a PodDisruptionBudget exactly when there is more than one replica', async () => {
        const objects = await render({ valuesFile: combo.file });
        const replicas = deployment(objects).spec.replicas;
        assert.equal(find(objects, 'PodDisruptionBudget').length, replicas > 1 ? 1 : 0);
      });
    });
  }
});

describe('defaults', () => {
  it('images default to the appVersion', async () => {
    const objects = await render();
    const c = deployment(objects).spec.template.spec.containers[0]!;
    assert.equal(c.image, `ghcr.io/livestream-operator/livestream-operator:${chart.appVersion}`);
    const a = args(objects);
    assert.equal(a.get('ingest-image'), `ghcr.io/livestream-operator/livestream-ingest:${chart.appVersion}`);
    assert.equal(
      a.get('transcoder-image'),
      `ghcr.io/livestream-operator/livestream-transcoder:${chart.appVersion}`,
    );
  });

  it('leader election on a Lease in the release namespace, with a Role limited to that Lease', async () => {
    const objects = await render({ namespace: 'streaming' });
    const a = args(objects);
    assert.equal(a.get('leader-elect'), 'true');
    assert.equal(a.get('leader-election-id'), 'livestream-operator');
    assert.equal(a.get('leader-election-namespace'), 'streaming');
    assert.deepEqual(
      ['lease-duration', 'renew-deadline', 'retry-period'].map((f) => a.get(f)),
      ['15s', '10s', '2s'],
    );
    const [role] = find(objects, 'Role', 'livestream-operator-leader-election');
    assert.equal(role?.metadata.namespace, 'streaming');
    const rules = role!.rules as Rule[];
    const named = rules.find((r) => r.resources.includes('leases') && r.verbs.includes('update'));
    assert.deepEqual(named?.resourceNames, ['livestream-operator']);
    assert.equal(deployment(objects).spec.strategy.type, 'RollingUpdate');
  });

  it('every namespace: one ClusterRole for LiveStreams and their children, one for placement reads, no namespaced Roles but the Lease', async () => {
    const objects = await render();
    assert.deepEqual(
      find(objects, 'ClusterRoleBinding')
        .map((b) => b.metadata.name)
        .sort(),
      ['livestream-operator', 'livestream-operator-placement'],
    );
    assert.deepEqual(
      find(objects, 'Role').map((r) => r.metadata.name),
      ['livestream-operator-leader-election'],
    );
    assert.ok(!args(objects).has('watch-namespaces'));
    assert.ok(
      rulesOf(objects, 'ClusterRole', 'livestream-operator').some((r) => r.resources.includes('livestreams')),
    );
  });

  it('operator settings reach its flags: port, workers, device groups, session cap', async () => {
    const objects = await render();
    const a = args(objects);
    assert.equal(a.get('http-port'), '8080');
    assert.equal(a.get('workers'), '10');
    assert.equal(a.get('amd-device-groups'), '44,109');
    assert.equal(a.get('geforce-session-cap'), '8');
    const [svc] = find(objects, 'Service', 'livestream-operator-metrics');
    assert.deepEqual((svc!.spec as { ports: unknown[] }).ports, [
      { name: 'metrics', port: 8080, targetPort: 'http', protocol: 'TCP' },
    ]);
    assert.ok(
      !a.has('nvidia-runtime-class') && !a.has('nvenc-products-h264'),
      'unset lists keep the built-in ones',
    );
  });

  it('CRDs are templated, kept on uninstall, and keep their Argo CD sync options', async () => {
    const crds = find(await render(), 'CustomResourceDefinition');
    assert.deepEqual(crds.map((c) => c.metadata.name).sort(), [
      'livestreams.livestream-operator.io',
      'transcodeprofiles.livestream-operator.io',
    ]);
    for (const crd of crds) {
      assert.equal(crd.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
      assert.equal(
        crd.metadata.annotations?.['argocd.argoproj.io/sync-options'],
        'Prune=false,ServerSideApply=true',
      );
    }
  });

  it('no Prometheus Operator objects unless asked; the dashboard ConfigMap by default', async () => {
    const objects = await render();
    for (const kind of ['ServiceMonitor', 'PodMonitor', 'PrometheusRule', 'NetworkPolicy'])
      assert.equal(find(objects, kind).length, 0, kind);
    const [cm] = find(objects, 'ConfigMap', 'livestream-operator-dashboard');
    assert.equal(cm?.metadata.labels?.grafana_dashboard, '1');
  });
});

describe('documented combinations', () => {
  it('watch-namespaces: a Role and RoleBinding in each namespace, no ClusterRole for LiveStreams, Nodes still readable', async () => {
    const objects = await render({ valuesFile: ci('watch-namespaces') });
    assert.equal(args(objects).get('watch-namespaces'), 'team-a,team-b');
    const roles = find(objects, 'Role', 'livestream-operator');
    assert.deepEqual(roles.map((r) => r.metadata.namespace).sort(), ['team-a', 'team-b']);
    assert.deepEqual(
      find(objects, 'RoleBinding', 'livestream-operator')
        .map((r) => r.metadata.namespace)
        .sort(),
      ['team-a', 'team-b'],
    );
    assert.equal(find(objects, 'ClusterRole', 'livestream-operator').length, 0);
    assert.equal(find(objects, 'ClusterRoleBinding', 'livestream-operator').length, 0);
    const clusterRules = find(objects, 'ClusterRole')
      .filter((r) => !/-(view|edit)$/.test(r.metadata.name))
      .flatMap((r) => r.rules as Rule[]);
    assert.deepEqual(
      clusterRules.flatMap((r) => r.resources),
      ['nodes', 'pods'],
    );
  });

  it('high-availability: three replicas, a PDB with minAvailable 1, replicas spread over nodes', async () => {
    const objects = await render({ valuesFile: ci('high-availability') });
    const d = deployment(objects);
    assert.equal(d.spec.replicas, 3);
    assert.equal((find(objects, 'PodDisruptionBudget')[0]!.spec as { minAvailable: number }).minAvailable, 1);
    assert.match(JSON.stringify(d.spec.template.spec.affinity), /kubernetes\.io\/hostname/);
  });

  it('monitoring: ServiceMonitor with honorLabels and jobLabel, PodMonitor for ingest and transcoder with the livestream label', async () => {
    const objects = await render({ valuesFile: ci('monitoring') });
    const sm = find(objects, 'ServiceMonitor')[0]!;
    const smSpec = sm.spec as { jobLabel: string; endpoints: { honorLabels: boolean; port: string }[] };
    assert.equal(sm.metadata.labels?.release, 'kube-prometheus-stack');
    assert.equal(smSpec.jobLabel, 'livestream-operator.io/job');
    assert.equal(smSpec.endpoints[0]!.honorLabels, true);
    assert.equal(smSpec.endpoints[0]!.port, 'metrics');
    const [svc] = find(objects, 'Service', 'livestream-operator-metrics');
    assert.equal(svc?.metadata.labels?.['livestream-operator.io/job'], 'livestream-operator');
    const pm = find(objects, 'PodMonitor')[0]!;
    const pmSpec = pm.spec as {
      jobLabel: string;
      namespaceSelector: { any?: boolean };
      podMetricsEndpoints: {
        port: string;
        interval: string;
        relabelings: { targetLabel: string }[];
        metricRelabelings: unknown[];
      }[];
    };
    assert.equal(pmSpec.jobLabel, 'app.kubernetes.io/name');
    assert.equal(pmSpec.namespaceSelector.any, true);
    assert.equal(pmSpec.podMetricsEndpoints[0]!.port, 'admin');
    assert.equal(pmSpec.podMetricsEndpoints[0]!.interval, '10s');
    assert.deepEqual(
      pmSpec.podMetricsEndpoints[0]!.relabelings.map((r) => r.targetLabel),
      ['livestream', 'component'],
    );
    assert.equal(pmSpec.podMetricsEndpoints[0]!.metricRelabelings.length, 1);
    const [cm] = find(objects, 'ConfigMap', 'livestream-operator-dashboard');
    assert.equal(cm?.metadata.annotations?.grafana_folder, 'Streaming');
  });

  it('the PodMonitor selects the labels the operator puts on its ingest and transcoder pods', async () => {
    const objects = await render({ set: ['monitoring.podMonitor.enabled=true', 'watchNamespaces={a,b}'] });
    const spec = find(objects, 'PodMonitor')[0]!.spec as {
      selector: { matchLabels: Record<string, string>; matchExpressions: { values: string[] }[] };
      namespaceSelector: { matchNames: string[] };
    };
    assert.deepEqual(spec.selector.matchLabels, {
      'app.kubernetes.io/managed-by': 'livestream-operator',
      'app.kubernetes.io/name': 'livestream',
    });
    assert.deepEqual(spec.selector.matchExpressions[0]!.values, ['ingest', 'transcoder']);
    assert.deepEqual(spec.namespaceSelector.matchNames, ['a', 'b']);
  });

  it('network-policy: metrics in from the monitoring namespace only; out to DNS, the API server and the data plane', async () => {
    const np = find(await render({ valuesFile: ci('network-policy') }), 'NetworkPolicy')[0]!;
    const spec = np.spec as {
      policyTypes: string[];
      ingress: { from: unknown[] }[];
      egress: { to?: unknown[]; ports: { port: number | string }[] }[];
    };
    assert.deepEqual(spec.policyTypes, ['Ingress', 'Egress']);
    assert.match(JSON.stringify(spec.ingress[0]!.from), /monitoring/);
    assert.deepEqual(
      spec.egress.map((e) => e.ports.map((p) => p.port)),
      [[53, 53], [443], [9090]],
    );
    assert.match(JSON.stringify(spec.egress[1]!.to), /198\.19\.0\.1\/32/);
  });

  it('gpu: digests win over tags, runtime class and product lists reach the operator', async () => {
    const objects = await render({ valuesFile: ci('gpu') });
    const a = args(objects);
    assert.match(
      deployment(objects).spec.template.spec.containers[0]!.image,
      /^ghcr\.io\/livestream-operator\/livestream-operator@sha256:1{64}$/,
    );
    assert.match(a.get('ingest-image')!, /@sha256:2{64}$/);
    assert.equal(a.get('transcoder-image'), 'registry.example.com/video/livestream-transcoder:0.1.0-cuda12');
    assert.equal(a.get('nvidia-runtime-class'), 'nvidia');
    assert.equal(a.get('nvenc-products-h264'), 'L4,L40S,T4,RTX');
    assert.equal(a.get('nvenc-products-hevc'), 'L4,L40S');
    assert.equal(a.get('image-pull-secrets'), 'registry-example-com');
    assert.equal(a.get('vcn-products-hevc'), 'V710');
    assert.equal(a.get('geforce-session-cap'), '12');
  });

  it('gitops: no CRDs, an existing ServiceAccount, no aggregated roles, the dashboard in the monitoring namespace', async () => {
    const objects = await render({ valuesFile: ci('gitops') });
    assert.equal(find(objects, 'CustomResourceDefinition').length, 0);
    assert.equal(find(objects, 'ServiceAccount').length, 0);
    assert.equal(deployment(objects).spec.template.spec.serviceAccountName, 'livestream-operator');
    assert.equal(find(objects, 'ClusterRole').filter((r) => /-(view|edit)$/.test(r.metadata.name)).length, 0);
    const [cm] = find(objects, 'ConfigMap', 'livestream-operator-dashboard');
    assert.equal(cm?.metadata.namespace, 'monitoring');
    assert.equal(cm?.metadata.labels?.grafana_dashboard, 'livestream');
  });

  it('single-replica-no-leader-election: no Lease, no Lease Role, Recreate strategy', async () => {
    const objects = await render({ valuesFile: ci('single-replica-no-leader-election') });
    const a = args(objects);
    assert.ok(!a.has('leader-elect'), 'off is the default: the flag is left out');
    assert.ok(!a.has('leader-election-id'));
    assert.equal(find(objects, 'Role', 'livestream-operator-leader-election').length, 0);
    assert.equal(deployment(objects).spec.strategy.type, 'Recreate');
  });

  it('docs/helm.md lists every combination', () => {
    const doc = readFileSync(path.join(repoRoot, 'docs/helm.md'), 'utf8');
    for (const combo of valuesCombinations().filter((c) => c.file)) {
      assert.ok(
        doc.includes(`\`${path.basename(combo.file!)}\``),
        `docs/helm.md documents ${path.basename(combo.file!)}`,
      );
    }
  });
});

describe('the dashboard ConfigMap', () => {
  it('carries the dashboard file unchanged, which parses and has the stable uid', async () => {
    const [cm] = find(await render(), 'ConfigMap', 'livestream-operator-dashboard');
    const json = (cm!.data as Record<string, string>)['livestream-operator.json']!;
    const file = readFileSync(path.join(chartDir, 'files/dashboards/livestream-operator.json'), 'utf8');
    assert.equal(json, file.trimEnd());
    assert.equal((JSON.parse(json) as { uid: string }).uid, 'livestream-operator');
  });
});
