// The chart's values.schema.json, written once here with a description for every value:
// `npm run chart:generate` writes charts/livestream-operator/values.schema.json (Helm checks values
// against it on install, upgrade, lint and template) and the values table of docs/helm.md from it.
// Closed objects (additionalProperties: false) turn a misspelt key into an error that names it.

export type Schema = Record<string, unknown>;

const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
const bool = (description: string): Schema => ({ type: 'boolean', description });
const int = (description: string, extra: Schema = {}): Schema => ({ type: 'integer', description, ...extra });
const list = (description: string, items: Schema, extra: Schema = {}): Schema => ({
  type: 'array',
  description,
  items,
  ...extra,
});
/** A free-form object (labels, annotations, Kubernetes structures the API server validates). */
const map = (description: string, values?: Schema): Schema => ({
  type: 'object',
  description,
  ...(values ? { additionalProperties: values } : {}),
});
const obj = (description: string, properties: Record<string, Schema>, extra: Schema = {}): Schema => ({
  type: 'object',
  description,
  additionalProperties: false,
  properties,
  ...extra,
});

const duration = (description: string): Schema =>
  str(description, { pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$' });
const promDuration = (description: string): Schema =>
  str(description, { pattern: '^(([0-9]+(ms|s|m|h|d|w|y))+)?$' });
const dnsLabel = (description: string): Schema =>
  str(description, { pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 });
const labelMap = (description: string): Schema => map(description, { type: 'string' });

const image = (what: string, tagDefault: string): Schema =>
  obj(`The ${what} image.`, {
    repository: str('Image repository.', { minLength: 1 }),
    tag: str(`Image tag; empty: ${tagDefault}.`),
    digest: str('Image digest (sha256:...); takes precedence over the tag.', {
      pattern: '^(sha256:[a-f0-9]{64})?$',
    }),
  });

const pullPolicy = (description: string): Schema =>
  str(description, { enum: ['Always', 'IfNotPresent', 'Never'] });

const products = (vendor: string, label: string, builtIn: string): Schema =>
  obj(
    `Words of ${label} that mark a ${vendor} GPU able to encode, per codec; an empty list keeps the built-in list (${builtIn}).`,
    {
      h264: list('Products allowed for H.264.', { type: 'string', pattern: '^[A-Za-z0-9]+$' }),
      hevc: list('Products allowed for HEVC.', { type: 'string', pattern: '^[A-Za-z0-9]+$' }),
    },
  );

const monitor = (what: string, interval: string): Record<string, Schema> => ({
  enabled: bool(`Render the ${what} (needs the Prometheus Operator's CRDs).`),
  interval: promDuration(`Scrape interval (default ${interval}).`),
  scrapeTimeout: promDuration("Scrape timeout; empty: Prometheus' default."),
  labels: labelMap(
    'Extra labels, e.g. the ones your Prometheus selects monitors by (release: kube-prometheus-stack).',
  ),
  relabelings: list("Extra relabelings (RelabelConfig list), applied after the chart's own.", {
    type: 'object',
  }),
  metricRelabelings: list('Metric relabelings (RelabelConfig list).', { type: 'object' }),
});

export const valuesSchema: Schema = {
  $schema: 'https://json-schema.org/draft-07/schema#',
  title: 'livestream-operator chart values',
  ...obj('Values of the livestream-operator chart.', {
    nameOverride: str('Replaces the chart name in resource names and labels.'),
    fullnameOverride: str('Replaces the full name (release-chart) of every resource.'),
    crds: obj('The LiveStream and TranscodeProfile CRDs.', {
      create: bool(
        "Install and upgrade the CRDs with the chart (templated, so `helm upgrade` updates them; Helm's crds/ folder never upgrades).",
      ),
      keep: bool(
        'Keep the CRDs when the release is uninstalled (helm.sh/resource-policy: keep); deleting a CRD deletes every LiveStream.',
      ),
    }),
    image: obj('The operator image.', {
      repository: str('Image repository.', { minLength: 1 }),
      tag: str("Image tag; empty: the chart's appVersion."),
      digest: str('Image digest (sha256:...); takes precedence over the tag.', {
        pattern: '^(sha256:[a-f0-9]{64})?$',
      }),
      pullPolicy: pullPolicy('Image pull policy of the operator.'),
    }),
    imagePullSecrets: list("Secrets for pulling the operator's image.", { type: 'string', minLength: 1 }),
    replicaCount: int(
      'Operator replicas; one leads, the others wait to take over (needs leaderElection.enabled above 1).',
      {
        minimum: 1,
        maximum: 5,
      },
    ),
    leaderElection: obj('Leader election on a coordination.k8s.io Lease in the release namespace.', {
      enabled: bool('Elect a leader among the replicas.'),
      leaseName: dnsLabel('Name of the Lease; two releases in one namespace need different names.'),
      leaseDuration: duration('How long a Lease is valid without renewal (15s).'),
      renewDeadline: duration('How long the leader keeps trying to renew before it steps down (10s).'),
      retryPeriod: duration('How often replicas try to take or renew the Lease (2s).'),
    }),
    watchNamespaces: list(
      'Namespaces whose LiveStreams the operator manages: empty for every namespace (a ClusterRole), or a list (Roles in those namespaces only).',
      { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
      { uniqueItems: true },
    ),
    operator: obj('Settings of the operator process.', {
      logLevel: str('Level of the JSON logs.', { enum: ['debug', 'info', 'warn', 'error'] }),
      workers: int('LiveStreams reconciled at once (--workers).', { minimum: 1, maximum: 200 }),
      httpPort: int('Container port of /healthz, /readyz and /metrics (--http-port).', {
        minimum: 1024,
        maximum: 65535,
      }),
      clusterDomain: str('DNS suffix of Services, used in the URLs written to status.', { minLength: 1 }),
      extraArgs: list('Extra command-line flags of livestream-operator.', { type: 'string', pattern: '^--' }),
      extraEnv: list('Extra environment variables (EnvVar list).', { type: 'object' }),
    }),
    dataPlane: obj('What the operator gives the ingest and transcoder pods it creates.', {
      ingest: obj('The ingest (RTMP) pods.', { image: image('ingest', "the chart's appVersion") }),
      transcoder: obj('The transcoder (ffmpeg) pods.', {
        image: image('transcoder (one image for CPU, NVIDIA and AMD)', "the chart's appVersion"),
      }),
      imagePullPolicy: pullPolicy('Image pull policy of the data-plane pods.'),
      imagePullSecrets: list(
        'Secrets for pulling the data-plane images; they must exist in every namespace with LiveStreams.',
        { type: 'string', minLength: 1 },
      ),
    }),
    gpu: obj('GPU placement of transcoders.', {
      nvidia: obj('NVIDIA GPUs (nvidia.com/gpu).', {
        runtimeClassName: str(
          'runtimeClassName of NVIDIA transcoder pods when the LiveStream names none; empty: none.',
        ),
        encodeCapableProducts: products(
          'NVIDIA',
          'nvidia.com/gpu.product',
          'T4, A2, A10, A10G, A16, A40, L4, L40, L40S, RTX, QUADRO; A100, A30, H100 and H200 cannot encode',
        ),
        geforceSessionCap: int(
          'Concurrent NVENC sessions a GeForce driver allows per node (one per encoded rendition).',
          {
            minimum: 1,
            maximum: 1000,
          },
        ),
      }),
      amd: obj('AMD GPUs (amd.com/gpu).', {
        encodeCapableProducts: products(
          'AMD',
          'amd.com/gpu.product-name',
          'RADEON, V520, V620, V710, W6800, W7800, W7900; Instinct cards cannot encode',
        ),
        deviceGroups: list(
          'Supplementary groups owning /dev/dri render nodes on AMD nodes (video, render).',
          {
            type: 'integer',
            minimum: 0,
          },
        ),
      }),
    }),
    serviceAccount: obj("The operator's ServiceAccount.", {
      create: bool('Create the ServiceAccount.'),
      name: str('Name of the ServiceAccount; empty: the full name (or "default" when not created).'),
      annotations: labelMap('Annotations, e.g. for workload identity.'),
    }),
    rbac: obj("The operator's RBAC.", {
      create: bool('Create the (Cluster)Roles and bindings.'),
      aggregateToDefaultRoles: bool(
        'Give the built-in view, edit and admin ClusterRoles rights on LiveStreams and TranscodeProfiles.',
      ),
    }),
    podAnnotations: labelMap('Annotations of the operator pod.'),
    podLabels: labelMap('Extra labels of the operator pod.'),
    podSecurityContext: map('Pod securityContext (restricted Pod Security Standard by default).'),
    securityContext: map('Container securityContext (restricted Pod Security Standard by default).'),
    resources: map('Resources of the operator container.'),
    livenessProbe: map('Liveness probe (GET /healthz on port admin).'),
    readinessProbe: map('Readiness probe (GET /readyz on port admin).'),
    nodeSelector: labelMap('nodeSelector of the operator pod.'),
    tolerations: list('Tolerations of the operator pod.', { type: 'object' }),
    affinity: map('Affinity of the operator pod; empty with replicaCount > 1: prefer one replica per node.'),
    topologySpreadConstraints: list('Topology spread constraints of the operator pod.', { type: 'object' }),
    priorityClassName: str('priorityClassName of the operator pod.'),
    terminationGracePeriodSeconds: int(
      'Seconds to finish in-flight reconciles and hand over the Lease on SIGTERM.',
      {
        minimum: 1,
      },
    ),
    podDisruptionBudget: obj('A PodDisruptionBudget, rendered only when replicaCount > 1.', {
      enabled: bool('Render the PodDisruptionBudget when replicaCount > 1.'),
      minAvailable: { description: 'minAvailable (a number or a percentage).', type: ['integer', 'string'] },
    }),
    service: obj("The operator's metrics Service (port metrics), scraped by the ServiceMonitor.", {
      type: str('Service type.', { enum: ['ClusterIP', 'NodePort', 'LoadBalancer'] }),
      port: int('Service port.', { minimum: 1, maximum: 65535 }),
      annotations: labelMap('Service annotations.'),
    }),
    networkPolicy: obj('A NetworkPolicy for the operator pod.', {
      enabled: bool(
        'Render the NetworkPolicy (metrics in; DNS, the Kubernetes API and the data-plane admin ports out).',
      ),
      metricsNamespaceSelector: map(
        'Namespaces allowed to scrape /metrics (a namespaceSelector); empty: every namespace.',
      ),
      metricsPodSelector: map('Pods allowed to scrape /metrics (a podSelector); empty: every pod.'),
      apiServer: obj('Where the Kubernetes API server is.', {
        cidrs: list('CIDRs of the API server.', { type: 'string', minLength: 1 }, { minItems: 1 }),
        ports: list(
          'Ports of the API server.',
          { type: 'integer', minimum: 1, maximum: 65535 },
          { minItems: 1 },
        ),
      }),
    }),
    monitoring: obj('Prometheus Operator objects and the Grafana dashboard.', {
      serviceMonitor: obj('A ServiceMonitor for the operator.', monitor('ServiceMonitor', '30s')),
      podMonitor: obj(
        'A PodMonitor for every ingest and transcoder pod; adds the labels livestream and component.',
        monitor('PodMonitor', '15s'),
      ),
      prometheusRule: obj('Alerts (docs/monitoring.md).', {
        enabled: bool("Render the PrometheusRule (needs the Prometheus Operator's CRDs)."),
        labels: labelMap('Extra labels, e.g. the ones your Prometheus selects rules by.'),
        disabledAlerts: list('Alert names to leave out.', {
          type: 'string',
          enum: [
            'LiveStreamDown',
            'LiveStreamTranscoderFailed',
            'LiveStreamTranscoderFallingBehind',
            'LiveStreamTranscoderStalled',
            'LiveStreamTranscoderRestarting',
            'LiveStreamOnCPUFallback',
            'LiveStreamStalled',
            'LiveStreamOperatorReconcileErrors',
            'LiveStreamOperatorDown',
            'LiveStreamOperatorNoLeader',
          ],
        }),
        additionalAlertLabels: labelMap("Labels added to every alert (an alert's own labels win)."),
        extraGroups: list('Extra rule groups, appended as they are.', {
          type: 'object',
          required: ['name', 'rules'],
        }),
      }),
      grafanaDashboard: obj("A ConfigMap with the Grafana dashboard for Grafana's dashboard sidecar.", {
        enabled: bool('Render the dashboard ConfigMap.'),
        namespace: str("Namespace of the ConfigMap (the sidecar's); empty: the release namespace."),
        label: str('Label the sidecar looks for.', { minLength: 1 }),
        labelValue: str('Value of that label.'),
        annotations: labelMap("Annotations, e.g. grafana_folder (the sidecar's folderAnnotation)."),
      }),
    }),
  }),
};

export function schemaFile(): string {
  return JSON.stringify(valuesSchema, null, 2) + '\n';
}

/** Leaves of the schema (dotted paths) with their description and type, in declaration order. */
export function schemaLeaves(): { path: string; type: string; description: string }[] {
  const out: { path: string; type: string; description: string }[] = [];
  const walk = (node: Schema, path: string): void => {
    const props = node.properties as Record<string, Schema> | undefined;
    if (node.type === 'object' && props && node.additionalProperties === false) {
      for (const [key, child] of Object.entries(props)) walk(child, path ? `${path}.${key}` : key);
      return;
    }
    const type = Array.isArray(node.type) ? node.type.join(' or ') : String(node.type);
    const items = node.items as Schema | undefined;
    out.push({
      path,
      type: type === 'array' && items?.type ? `list of ${String(items.type)}` : type,
      description: String(node.description ?? ''),
    });
  };
  walk(valuesSchema, '');
  return out;
}

/** The schema of one value, by dotted path (e.g. "monitoring.prometheusRule.disabledAlerts"). */
export function schemaAt(dotted: string): Schema {
  let node: Schema = valuesSchema;
  for (const key of dotted.split('.')) {
    const child = (node.properties as Record<string, Schema> | undefined)?.[key];
    if (!child) throw new Error(`the values schema has no ${dotted}`);
    node = child;
  }
  return node;
}
