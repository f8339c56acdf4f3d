// The Grafana dashboard "LiveStreams", as code: `npm run chart:generate` writes it to
// charts/livestream-operator/files/dashboards/livestream-operator.json, which the chart ships in a
// ConfigMap for Grafana's dashboard sidecar. test/integration/monitoring runs every query here against
// a real Prometheus scraping the real programs.
//
// Labels the queries rely on (the chart's ServiceMonitor and PodMonitor set them; docs/monitoring.md):
//   job="livestream-operator" the operator, whose per-LiveStream series carry the LiveStream's namespace
//   and name (kept by the ServiceMonitor's honorLabels); job="livestream" the ingest and transcoder
//   pods, which carry namespace, pod, livestream (the LiveStream's name) and component.
// GPU panels read dcgm-exporter's DCGM_FI_DEV_* series, which carry the namespace and pod of the pod
// using the GPU (dcgm-exporter's Kubernetes mode, scraped with honorLabels), joined here on namespace
// and pod with the transcoder's info series.

export const DASHBOARD_UID = 'livestream-operator';

/** Grafana's built-in variables the queries use, and what the tests substitute for them. */
export const GRAFANA_INTERVAL_VARIABLES = ['$__rate_interval', '$__interval', '$__range'] as const;

const ds = { type: 'prometheus', uid: '${datasource}' } as const;

/** Label matchers of the data-plane series of the selected streams. */
const sel = 'job="livestream", namespace=~"$namespace", livestream=~"$stream"';
const ingest = `${sel}, component="ingest"`;
const transcoder = `${sel}, component="transcoder"`;
const op = 'job="livestream-operator"';
/** The operator's per-LiveStream series (labels namespace and name) of the selected streams. */
const opStream = `${op}, namespace=~"$namespace", name=~"$stream"`;
const ri = '$__rate_interval';

export interface Target {
  expr: string;
  legendFormat?: string;
}

interface PanelSpec {
  title: string;
  description: string;
  type: 'stat' | 'timeseries' | 'table';
  targets: Target[];
  unit?: string;
  width?: number;
  height?: number;
  min?: number;
  max?: number;
  /** Stat panels: thresholds from green upwards ([value, color] pairs after the base). */
  thresholds?: [number, string][];
  stack?: boolean;
}

interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

/** dcgm-exporter series of the GPUs the selected transcoders use, labelled with the stream. */
function gpu(metric: string): string {
  return (
    `max by (namespace, pod, livestream, modelName) (${metric}` +
    ` * on (namespace, pod) group_left (livestream) max by (namespace, pod, livestream) (livestream_transcoder_info{${transcoder}}))`
  );
}

export const rows: RowSpec[] = [
  {
    title: 'Fleet',
    panels: [
      {
        title: 'LiveStreams',
        description: 'LiveStreams the operator manages, by their Ready condition.',
        type: 'stat',
        width: 4,
        targets: [
          {
            expr: `sum by (status) (livestream_status_condition{${opStream}, type="Ready"})`,
            legendFormat: 'Ready={{status}}',
          },
        ],
      },
      {
        title: 'Stalled',
        description:
          'LiveStreams whose progress needs you (Stalled=True: a missing profile, no accelerator with room and no fallback, ...).',
        type: 'table',
        width: 8,
        targets: [
          {
            expr: `max by (namespace, name) (livestream_status_condition{${opStream}, type="Stalled", status="True"}) == 1`,
          },
        ],
      },
      {
        title: 'Placed on a fallback accelerator',
        description:
          'LiveStreams placed on other than their first preference (condition AcceleratorFallback).',
        type: 'stat',
        width: 4,
        thresholds: [[1, 'orange']],
        targets: [{ expr: `sum(livestream_accelerator_fallback{${opStream}})` }],
      },
      {
        title: 'Placement by accelerator',
        description: 'Where the operator placed the transcoders (nvidia, amd, cpu).',
        type: 'stat',
        width: 8,
        targets: [
          {
            expr: `count by (accelerator) (livestream_info{${opStream}, accelerator!=""})`,
            legendFormat: '{{accelerator}}',
          },
        ],
      },
      {
        title: 'Publishing',
        description: 'LiveStreams whose encoder is publishing to the ingest now.',
        type: 'stat',
        width: 4,
        targets: [{ expr: `sum(livestream_ingest_publishers{${ingest}})` }],
      },
      {
        title: 'Live (playable)',
        description: 'LiveStreams whose transcoder has a fresh segment for every rendition.',
        type: 'stat',
        width: 4,
        targets: [{ expr: `sum(livestream_transcoder_live{${transcoder}})` }],
      },
      {
        title: 'Down',
        description:
          'Publishing, but not playable: the encoder sends, viewers get nothing (alert LiveStreamDown after 2 minutes).',
        type: 'stat',
        width: 4,
        thresholds: [[1, 'red']],
        targets: [
          {
            expr:
              `count(max by (namespace, livestream) (livestream_ingest_publishers{${ingest}}) == 1` +
              ` unless on (namespace, livestream) max by (namespace, livestream) (livestream_transcoder_live{${transcoder}}) == 1)`,
          },
        ],
      },
      {
        title: 'On a fallback encoder',
        description:
          'Transcoders not running their first-choice encoder (for example libx264 instead of NVENC).',
        type: 'stat',
        width: 4,
        thresholds: [[1, 'orange']],
        targets: [{ expr: `sum(livestream_transcoder_accelerator_fallback{${transcoder}})` }],
      },
      {
        title: 'Transcoders by accelerator',
        description: 'Which accelerator each running transcoder encodes on.',
        type: 'stat',
        width: 8,
        targets: [
          {
            expr: `count by (accelerator) (livestream_transcoder_info{${transcoder}})`,
            legendFormat: '{{accelerator}}',
          },
        ],
      },
      {
        title: 'Reconciles per second',
        description: "The operator's reconciles, by controller and result (success, error, requeue).",
        type: 'timeseries',
        width: 8,
        unit: 'ops',
        targets: [
          {
            expr: `sum by (controller, result) (rate(controller_runtime_reconcile_total{${op}}[${ri}]))`,
            legendFormat: '{{controller}} {{result}}',
          },
        ],
      },
      {
        title: 'Reconcile errors per second',
        description: 'Failed reconciles (alert LiveStreamOperatorReconcileErrors above 10% for 15 minutes).',
        type: 'timeseries',
        width: 8,
        unit: 'ops',
        targets: [
          {
            // A controller that never failed has no error series yet: show it at 0, not "No data".
            expr:
              `sum by (controller) (rate(controller_runtime_reconcile_errors_total{${op}}[${ri}]))` +
              ` or 0 * sum by (controller) (rate(controller_runtime_reconcile_total{${op}}[${ri}]))`,
            legendFormat: '{{controller}}',
          },
        ],
      },
      {
        title: 'Reconcile time (p50, p99)',
        description: 'How long one reconcile takes.',
        type: 'timeseries',
        width: 8,
        unit: 's',
        targets: [
          {
            expr: `histogram_quantile(0.99, sum by (le, controller) (rate(controller_runtime_reconcile_time_seconds_bucket{${op}}[${ri}])))`,
            legendFormat: 'p99 {{controller}}',
          },
          {
            expr: `histogram_quantile(0.5, sum by (le, controller) (rate(controller_runtime_reconcile_time_seconds_bucket{${op}}[${ri}])))`,
            legendFormat: 'p50 {{controller}}',
          },
        ],
      },
      {
        title: 'Work queue depth',
        description:
          'Keys waiting to be reconciled; a depth that keeps growing means the operator cannot keep up.',
        type: 'timeseries',
        width: 8,
        targets: [{ expr: `sum by (name) (workqueue_depth{${op}})`, legendFormat: '{{name}}' }],
      },
      {
        title: 'Leader',
        description: 'Which operator replica holds the Lease (1) and which wait (0).',
        type: 'timeseries',
        width: 8,
        min: 0,
        max: 1,
        targets: [
          { expr: `max by (pod, name) (leader_election_master_status{${op}})`, legendFormat: '{{pod}}' },
        ],
      },
      {
        title: 'Kubernetes API requests per second',
        description: "The operator's requests to the API server, by status code.",
        type: 'timeseries',
        width: 8,
        unit: 'reqps',
        targets: [
          {
            expr: `sum by (code) (rate(rest_client_requests_total{${op}}[${ri}]))`,
            legendFormat: '{{code}}',
          },
        ],
      },
    ],
  },
  {
    title: 'Ingest',
    panels: [
      {
        title: 'Ingest bitrate',
        description: "What the encoder sends (audio + video), measured from the media's timestamps.",
        type: 'timeseries',
        width: 8,
        unit: 'bps',
        targets: [
          {
            expr: `sum by (namespace, livestream) (livestream_ingest_bitrate_bits_per_second{${ingest}})`,
            legendFormat: '{{namespace}}/{{livestream}}',
          },
        ],
      },
      {
        title: 'Ingest frame rate',
        description: 'Video frames per second the encoder sends.',
        type: 'timeseries',
        width: 8,
        unit: 'fps',
        targets: [
          {
            expr: `max by (namespace, livestream) (livestream_ingest_video_frames_per_second{${ingest}})`,
            legendFormat: '{{namespace}}/{{livestream}}',
          },
        ],
      },
      {
        title: 'Keyframe interval',
        description:
          "Seconds between the encoder's keyframes. Segments are cut on keyframes: keep it at the profile's GOP (2 s by default).",
        type: 'timeseries',
        width: 8,
        unit: 's',
        targets: [
          {
            expr: `max by (namespace, livestream) (livestream_ingest_video_keyframe_interval_seconds{${ingest}})`,
            legendFormat: '{{namespace}}/{{livestream}}',
          },
        ],
      },
      {
        title: 'Publishers and subscribers',
        description: 'Encoders publishing (0 or 1) and pullers (the transcoder) per stream.',
        type: 'timeseries',
        width: 8,
        targets: [
          {
            expr: `max by (namespace, livestream) (livestream_ingest_publishers{${ingest}})`,
            legendFormat: 'publisher {{namespace}}/{{livestream}}',
          },
          {
            expr: `max by (namespace, livestream) (livestream_ingest_subscribers{${ingest}})`,
            legendFormat: 'subscribers {{namespace}}/{{livestream}}',
          },
        ],
      },
      {
        title: 'Refused connections per second',
        description: 'Connections turned away (wrong stream key, second publisher, limits), by reason.',
        type: 'timeseries',
        width: 8,
        unit: 'cps',
        targets: [
          {
            expr: `sum by (reason) (rate(livestream_ingest_connections_rejected_total{${ingest}}[${ri}]))`,
            legendFormat: '{{reason}}',
          },
        ],
      },
      {
        title: 'Ingest network in',
        description: 'Bytes read from RTMP(S) connections (protocol overhead included), by transport.',
        type: 'timeseries',
        width: 8,
        unit: 'Bps',
        targets: [
          {
            expr: `sum by (transport) (rate(livestream_ingest_received_bytes_total{${ingest}}[${ri}]))`,
            legendFormat: '{{transport}}',
          },
        ],
      },
    ],
  },
  {
    title: 'Transcode',
    panels: [
      {
        title: 'Speed (1 = real time)',
        description:
          'Media seconds encoded per wall second. Below 1 the transcoder falls behind (alert LiveStreamTranscoderFallingBehind below 0.95 for 2 minutes).',
        type: 'timeseries',
        width: 8,
        unit: 'x',
        targets: [
          {
            expr: `max by (namespace, livestream) (livestream_transcoder_speed_ratio{${transcoder}})`,
            legendFormat: '{{namespace}}/{{livestream}}',
          },
        ],
      },
      {
        title: 'Encoded frame rate',
        description: 'Frames per second ffmpeg reports.',
        type: 'timeseries',
        width: 8,
        unit: 'fps',
        targets: [
          {
            expr: `max by (namespace, livestream) (livestream_transcoder_fps{${transcoder}})`,
            legendFormat: '{{namespace}}/{{livestream}}',
          },
        ],
      },
      {
        title: 'Dropped and duplicated frames per second',
        description:
          'Frames ffmpeg dropped or duplicated to hold the output frame rate: a sign of a bad source or an overloaded encoder.',
        type: 'timeseries',
        width: 8,
        unit: 'fps',
        targets: [
          {
            expr: `sum by (namespace, livestream) (rate(livestream_transcoder_dropped_frames_total{${transcoder}}[${ri}]))`,
            legendFormat: 'dropped {{namespace}}/{{livestream}}',
          },
          {
            expr: `sum by (namespace, livestream) (rate(livestream_transcoder_duplicated_frames_total{${transcoder}}[${ri}]))`,
            legendFormat: 'duplicated {{namespace}}/{{livestream}}',
          },
        ],
      },
      {
        title: 'Transcoder state',
        description:
          'WaitingForPublisher, Starting, Encoding, Restarting, Stalled, Stopping, Failed per stream.',
        type: 'table',
        width: 8,
        targets: [
          {
            expr: `max by (namespace, livestream, state) (livestream_transcoder_state{${transcoder}}) == 1`,
            legendFormat: '{{state}}',
          },
        ],
      },
      {
        title: 'Encoder in use',
        description: 'Accelerator, API and ffmpeg encoder each transcoder runs, and whether it fell back.',
        type: 'table',
        width: 8,
        targets: [
          {
            expr: `max by (namespace, livestream, requested_accelerator, accelerator, api, encoder) (livestream_transcoder_info{${transcoder}})`,
          },
        ],
      },
      {
        title: 'ffmpeg restarts (per hour)',
        description:
          'Why ffmpeg runs ended: ffmpeg_failed, stalled, input_ended (the encoder stopped), publisher_changed.',
        type: 'timeseries',
        width: 8,
        targets: [
          {
            expr: `sum by (namespace, livestream, reason) (increase(livestream_transcoder_restarts_total{${transcoder}}[1h]))`,
            legendFormat: '{{reason}} {{namespace}}/{{livestream}}',
          },
        ],
      },
    ],
  },
  {
    title: 'Delivery',
    panels: [
      {
        title: 'Rendition bitrate (measured and target)',
        description: "Each rendition's bit rate over its newest segments, next to the profile's target.",
        type: 'timeseries',
        width: 12,
        unit: 'bps',
        targets: [
          {
            expr: `8 * max by (namespace, livestream, rendition) (livestream_transcoder_rendition_bytes_per_second{${transcoder}})`,
            legendFormat: '{{livestream}} {{rendition}}',
          },
          {
            expr: `8 * max by (namespace, livestream, rendition) (livestream_transcoder_rendition_target_bytes_per_second{${transcoder}})`,
            legendFormat: '{{livestream}} {{rendition}} target',
          },
        ],
      },
      {
        title: 'Newest segment age',
        description:
          'Seconds since each rendition last got a segment: what a player at the live edge waits on.',
        type: 'timeseries',
        width: 12,
        unit: 's',
        targets: [
          {
            expr: `max by (namespace, livestream, rendition) (livestream_transcoder_rendition_newest_segment_age_seconds{${transcoder}})`,
            legendFormat: '{{livestream}} {{rendition}}',
          },
        ],
      },
      {
        title: 'Segment duration',
        description:
          "Duration of the newest segment per rendition; it should equal the LiveStream's segmentSeconds.",
        type: 'timeseries',
        width: 8,
        unit: 's',
        targets: [
          {
            expr: `max by (namespace, livestream, rendition) (livestream_transcoder_rendition_segment_seconds{${transcoder}})`,
            legendFormat: '{{livestream}} {{rendition}}',
          },
        ],
      },
      {
        title: 'Segments written per minute',
        description: 'Segments per rendition per minute (30 for 2-second segments).',
        type: 'timeseries',
        width: 8,
        unit: 'short',
        targets: [
          {
            expr: `60 * sum by (namespace, livestream, rendition) (rate(livestream_transcoder_segments_total{${transcoder}}[${ri}]))`,
            legendFormat: '{{livestream}} {{rendition}}',
          },
        ],
      },
      {
        title: 'Origin requests per second',
        description: 'Requests to the playback origin by kind (playlist, segment, page) and status code.',
        type: 'timeseries',
        width: 8,
        unit: 'reqps',
        targets: [
          {
            expr: `sum by (kind, code) (rate(livestream_transcoder_origin_requests_total{${transcoder}}[${ri}]))`,
            legendFormat: '{{kind}} {{code}}',
          },
        ],
      },
    ],
  },
  {
    title: 'GPU (dcgm-exporter)',
    panels: [
      {
        title: 'GPU utilization',
        description:
          "DCGM_FI_DEV_GPU_UTIL of the GPU each transcoder pod uses (dcgm-exporter's Kubernetes mode).",
        type: 'timeseries',
        width: 6,
        unit: 'percent',
        min: 0,
        max: 100,
        targets: [{ expr: gpu('DCGM_FI_DEV_GPU_UTIL'), legendFormat: '{{livestream}} {{modelName}}' }],
      },
      {
        title: 'Encoder (NVENC) utilization',
        description: 'DCGM_FI_DEV_ENC_UTIL: how busy the video encoder engine is.',
        type: 'timeseries',
        width: 6,
        unit: 'percent',
        min: 0,
        max: 100,
        targets: [{ expr: gpu('DCGM_FI_DEV_ENC_UTIL'), legendFormat: '{{livestream}} {{modelName}}' }],
      },
      {
        title: 'Decoder (NVDEC) utilization',
        description: 'DCGM_FI_DEV_DEC_UTIL: how busy the video decoder engine is.',
        type: 'timeseries',
        width: 6,
        unit: 'percent',
        min: 0,
        max: 100,
        targets: [{ expr: gpu('DCGM_FI_DEV_DEC_UTIL'), legendFormat: '{{livestream}} {{modelName}}' }],
      },
      {
        title: 'GPU memory used',
        description: 'DCGM_FI_DEV_FB_USED (MiB) of the GPU each transcoder pod uses.',
        type: 'timeseries',
        width: 6,
        unit: 'decmbytes',
        targets: [{ expr: gpu('DCGM_FI_DEV_FB_USED'), legendFormat: '{{livestream}} {{modelName}}' }],
      },
    ],
  },
];

/**
 * Template variables after the data source: namespace, then stream (filtered by namespace), from the
 * operator's livestream_info, which lists every LiveStream, publishing or not. Its `name` is the
 * data plane's `livestream` label (LiveStream names fit a label value).
 */
export const variables = [
  {
    name: 'namespace',
    label: 'Namespace',
    query: 'label_values(livestream_info{job="livestream-operator"}, namespace)',
  },
  {
    name: 'stream',
    label: 'LiveStream',
    query: 'label_values(livestream_info{job="livestream-operator", namespace=~"$namespace"}, name)',
  },
] as const;

function panelJson(spec: PanelSpec, id: number, x: number, y: number): Record<string, unknown> {
  const thresholds = {
    mode: 'absolute',
    steps: [
      { color: 'green', value: null },
      ...(spec.thresholds ?? []).map(([value, color]) => ({ color, value })),
    ],
  };
  const defaults: Record<string, unknown> = { unit: spec.unit ?? 'short', thresholds };
  // A stat with no series (nothing down, nothing on fallback) reads 0, not "No data".
  if (spec.type === 'stat') defaults.noValue = '0';
  if (spec.min !== undefined) defaults.min = spec.min;
  if (spec.max !== undefined) defaults.max = spec.max;
  if (spec.type === 'timeseries') {
    defaults.custom = {
      drawStyle: 'line',
      lineWidth: 1,
      fillOpacity: 10,
      showPoints: 'never',
      spanNulls: false,
    };
  }
  const options: Record<string, unknown> =
    spec.type === 'stat'
      ? {
          reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
          colorMode: 'value',
          graphMode: 'area',
          textMode: 'auto',
        }
      : spec.type === 'table'
        ? { showHeader: true }
        : {
            legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
            tooltip: { mode: 'multi' },
          };
  return {
    id,
    type: spec.type,
    title: spec.title,
    description: spec.description,
    datasource: ds,
    gridPos: { h: spec.height ?? (spec.type === 'stat' ? 4 : 8), w: spec.width ?? 8, x, y },
    fieldConfig: { defaults, overrides: [] },
    options,
    ...(spec.type === 'table' ? { transformations: [{ id: 'labelsToFields', options: {} }] } : {}),
    targets: spec.targets.map((t, i) => ({
      datasource: ds,
      refId: String.fromCharCode(65 + i),
      expr: t.expr,
      ...(t.legendFormat ? { legendFormat: t.legendFormat } : {}),
      ...(spec.type === 'table' ? { format: 'table', instant: true } : { range: true }),
    })),
  };
}

/** The dashboard JSON Grafana imports. */
export function dashboard(): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const spec of row.panels) {
      const w = spec.width ?? 8;
      if (x + w > 24) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      const panel = panelJson(spec, id++, x, y);
      panels.push(panel);
      x += w;
      rowHeight = Math.max(rowHeight, (panel.gridPos as { h: number }).h);
    }
    y += rowHeight;
  }
  return {
    uid: DASHBOARD_UID,
    title: 'LiveStreams',
    description:
      'livestream-operator: the fleet, ingest, transcoding, delivery and GPUs of LiveStreams (docs/monitoring.md).',
    tags: ['livestream-operator', 'streaming'],
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-1h', to: 'now' },
    timezone: 'browser',
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Data source',
          type: 'datasource',
          query: 'prometheus',
          current: {},
          hide: 0,
          refresh: 1,
          regex: '',
        },
        ...variables.map((v) => ({
          name: v.name,
          label: v.label,
          type: 'query',
          datasource: ds,
          definition: v.query,
          query: { query: v.query, refId: `${v.name}-variable` },
          refresh: 2,
          multi: true,
          includeAll: true,
          allValue: '.*',
          current: {},
          sort: 1,
          hide: 0,
        })),
      ],
    },
    panels,
  };
}

/** Every query of every panel, with the panel's title (for the tests and docs/monitoring.md). */
export function panelQueries(): { row: string; panel: string; expr: string }[] {
  return rows.flatMap((row) =>
    row.panels.flatMap((p) => p.targets.map((t) => ({ row: row.title, panel: p.title, expr: t.expr }))),
  );
}

/** The file the chart ships: stable key order, two-space indent, trailing newline. */
export function dashboardFile(): string {
  return JSON.stringify(dashboard(), null, 2) + '\n';
}
