// The Grafana dashboard's structure: stable uid, the datasource/namespace/stream variables, every
// panel on the datasource variable and filtered by namespace and stream where it shows streams, rows
// for fleet, ingest, transcode, delivery and GPU, a grid that fits. (Its queries run against a real
// Prometheus in test/integration/monitoring/prometheus.test.ts.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DASHBOARD_UID, dashboard, panelQueries } from '../../../monitoring/dashboard.js';

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { expr: string; refId: string; datasource: { uid: string } }[];
}

const d = dashboard() as {
  uid: string;
  title: string;
  templating: {
    list: { name: string; type: string; query: unknown; includeAll?: boolean; multi?: boolean }[];
  };
  panels: Panel[];
};

describe('Grafana dashboard', () => {
  it('has a stable uid and title', () => {
    assert.equal(d.uid, DASHBOARD_UID);
    assert.equal(d.uid, 'livestream-operator');
    assert.equal(d.title, 'LiveStreams');
  });

  it('has a datasource variable, then namespace and stream variables (multi-select with All)', () => {
    const [ds, ns, stream] = d.templating.list;
    assert.equal(ds?.name, 'datasource');
    assert.equal(ds?.type, 'datasource');
    assert.equal(ds?.query, 'prometheus');
    for (const v of [ns, stream]) {
      assert.equal(v?.type, 'query');
      assert.ok(v?.multi && v.includeAll, `${v?.name} is multi-select with All`);
    }
    assert.equal(ns?.name, 'namespace');
    assert.equal(stream?.name, 'stream');
    assert.match(JSON.stringify(stream?.query), /namespace=~\\"\$namespace\\"/);
    assert.match(JSON.stringify(ns?.query), /livestream_info\{job=\\"livestream-operator\\"\}/);
  });

  it('has rows for the fleet, ingest, transcode, delivery and GPU', () => {
    assert.deepEqual(
      d.panels.filter((p) => p.type === 'row').map((p) => p.title),
      ['Fleet', 'Ingest', 'Transcode', 'Delivery', 'GPU (dcgm-exporter)'],
    );
  });

  it('every panel queries through the datasource variable, with unique ids and refIds', () => {
    const ids = new Set<number>();
    for (const p of d.panels) {
      assert.ok(!ids.has(p.id), `panel id ${p.id} is unique`);
      ids.add(p.id);
      if (p.type === 'row') continue;
      assert.equal(p.datasource?.uid, '${datasource}', p.title);
      assert.ok(p.targets?.length, `${p.title} has queries`);
      const refIds = p.targets!.map((t) => t.refId);
      assert.equal(new Set(refIds).size, refIds.length, `${p.title} refIds unique`);
      for (const t of p.targets!) assert.equal(t.datasource.uid, '${datasource}', p.title);
    }
  });

  it('panels fit the 24-column grid without overlapping', () => {
    const cells = new Set<string>();
    for (const p of d.panels) {
      const { x, y, w, h } = p.gridPos;
      assert.ok(x >= 0 && x + w <= 24, `${p.title} fits the width`);
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          assert.ok(!cells.has(`${i},${j}`), `${p.title} overlaps another panel at ${i},${j}`);
          cells.add(`${i},${j}`);
        }
    }
  });

  it('every per-stream query is filtered by the namespace and stream variables', () => {
    for (const q of panelQueries()) {
      if (/livestream_(ingest|transcoder)_/.test(q.expr)) {
        assert.match(q.expr, /namespace=~"\$namespace"/, `${q.panel}: ${q.expr}`);
        assert.match(q.expr, /livestream=~"\$stream"/, `${q.panel}: ${q.expr}`);
      } else if (/livestream_(ready|status_condition|info|accelerator_fallback)\{/.test(q.expr)) {
        assert.match(
          q.expr,
          /job="livestream-operator", namespace=~"\$namespace", name=~"\$stream"/,
          q.panel,
        );
      } else {
        assert.match(
          q.expr,
          /job="livestream-operator"/,
          `${q.panel} reads the operator's series: ${q.expr}`,
        );
      }
    }
  });

  it('GPU panels read the four dcgm-exporter series joined on namespace and pod with the transcoders', () => {
    const gpu = panelQueries().filter((q) => q.row === 'GPU (dcgm-exporter)');
    assert.deepEqual(
      gpu.map((q) => /DCGM_FI_DEV_[A-Z_]+/.exec(q.expr)?.[0]),
      ['DCGM_FI_DEV_GPU_UTIL', 'DCGM_FI_DEV_ENC_UTIL', 'DCGM_FI_DEV_DEC_UTIL', 'DCGM_FI_DEV_FB_USED'],
    );
    for (const q of gpu) assert.match(q.expr, /on \(namespace, pod\) group_left \(livestream\)/);
  });
});
