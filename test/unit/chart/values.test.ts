// Bad values fail with a message that names the value (values.schema.json and the templates' own
// checks); the CRDs the chart renders are the repository's crds/;
// every value in values.yaml is described by the schema.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { chartDir, crdSources } from '../../../tools/chart/generate.js';
import { find, render, template } from '../../../tools/chart/helm.js';
import { schemaLeaves } from '../../../tools/chart/schema.js';

describe('values that are refused', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'an unknown top-level key',
      ['replicas=2'],
      /additional properties? .*replicas.* not allowed|replicas.*additional/i,
    ],
    ['a misspelt nested key', ['monitoring.serviceMonitor.enable=true'], /enable/],
    ['zero replicas', ['replicaCount=0'], /replicaCount/],
    ['a log level that does not exist', ['operator.logLevel=loud'], /logLevel/],
    ['a namespace name that is not a DNS label', ['watchNamespaces={Team_A}'], /watchNamespaces/],
    ['a lease duration without a unit', ['leaderElection.leaseDuration=15'], /leaseDuration/],
    ['an image digest that is not sha256', ['image.digest=latest'], /digest/],
    [
      'an alert name that does not exist',
      ['monitoring.prometheusRule.disabledAlerts={StreamDown}'],
      /disabledAlerts/,
    ],
    ['a GPU product that is not a word', ['gpu.nvidia.encodeCapableProducts.h264={NVIDIA L4}'], /h264/],
  ];
  for (const [what, set, message] of cases) {
    it(`${what}: ${set.join(' ')}`, async () => {
      const result = await template({ set });
      assert.notEqual(result.code, 0, `helm accepted ${set.join(' ')}`);
      assert.match(result.stderr, message);
    });
  }

  it('several replicas without leader election: refused with the reason', async () => {
    const result = await template({ set: ['replicaCount=2', 'leaderElection.enabled=false'] });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /replicaCount > 1 needs leaderElection\.enabled=true/);
  });
});

describe('values.yaml and the schema', () => {
  it('every value in values.yaml is described in the schema, and every schema leaf has a default', () => {
    const values = YAML.parse(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    const leaves = new Set(schemaLeaves().map((l) => l.path));
    const walk = (v: unknown, p: string): string[] => {
      if (v && typeof v === 'object' && !Array.isArray(v) && !leaves.has(p))
        return Object.entries(v).flatMap(([k, c]) => walk(c, p ? `${p}.${k}` : k));
      return [p];
    };
    const paths = walk(values, '');
    for (const p of paths)
      assert.ok(leaves.has(p), `values.yaml has ${p}, which the schema does not describe`);
    for (const l of leaves)
      assert.ok(paths.includes(l), `the schema describes ${l}, which values.yaml lacks`);
    for (const l of schemaLeaves()) assert.ok(l.description.length > 10, `${l.path} has a description`);
  });
});

interface Crd {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: unknown;
}

describe('CRDs rendered by the chart', () => {
  it('are the repository crds/ (only the chart labels and the keep annotation added)', async () => {
    const rendered = find(await render(), 'CustomResourceDefinition');
    const sources = [...crdSources().values()].map((t) => YAML.parse(t) as Crd);
    assert.equal(rendered.length, sources.length);
    for (const source of sources) {
      const crd = rendered.find((c) => c.metadata.name === source.metadata.name) as Crd | undefined;
      assert.ok(crd, `${source.metadata.name} is rendered`);
      assert.deepEqual(crd.spec, source.spec, `${source.metadata.name}: spec identical to crds/`);
      for (const [k, v] of Object.entries(source.metadata.labels ?? {}))
        assert.equal(crd.metadata.labels?.[k], v);
      const { ['helm.sh/resource-policy']: keep, ...annotations } = crd.metadata.annotations as Record<
        string,
        string
      >;
      assert.equal(keep, 'keep');
      assert.deepEqual(annotations, source.metadata.annotations ?? {});
      assert.deepEqual(Object.keys(crd).sort(), Object.keys(source).sort());
    }
  });

  it('crds.keep=false leaves the annotation out; crds.create=false renders none', async () => {
    for (const crd of find(await render({ set: ['crds.keep=false'] }), 'CustomResourceDefinition'))
      assert.equal(crd.metadata.annotations?.['helm.sh/resource-policy'], undefined);
    assert.equal(find(await render({ set: ['crds.create=false'] }), 'CustomResourceDefinition').length, 0);
  });
});
