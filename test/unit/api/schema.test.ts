// Rules every field of the schema keeps, checked on the source before any API server sees it:
// described, bounded (CEL cost estimation needs bounds), defaults that can apply and are allowed.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Schema } from '../../../operator/api/dsl.js';
import { crdObject, rootSchema } from '../../../operator/api/render.js';
import { v1alpha1 } from '../../../operator/api/v1alpha1/schema.js';

interface Visit {
  path: string;
  node: Schema;
  parent?: Schema;
  key?: string;
}

function walk(node: Schema, path: string, out: Visit[], parent?: Schema, key?: string) {
  out.push({ path, node, parent, key });
  for (const [k, child] of Object.entries(node.properties ?? {})) walk(child, `${path}.${k}`, out, node, k);
  if (node.items) walk(node.items, `${path}[]`, out, node);
}

const kinds = v1alpha1.kinds.map((kind) => {
  const visits: Visit[] = [];
  walk(kind.spec, 'spec', visits);
  walk(kind.status, 'status', visits);
  return { kind, visits };
});

for (const { kind, visits } of kinds) {
  describe(`${kind.kind} schema`, () => {
    test('every field has a description', () => {
      const bare = visits.filter((v) => v.node.description.trim() === '').map((v) => v.path);
      assert.deepEqual(bare, []);
    });

    test('every string, list and map is bounded', () => {
      const unbounded = visits
        .filter(({ node }) => {
          if (node.type === 'string')
            return node.maxLength === undefined && !node.enum && node.format !== 'date-time';
          if (node.type === 'array') return node.maxItems === undefined;
          if (node.additionalProperties) return node.maxProperties === undefined;
          return false;
        })
        .map((v) => v.path);
      assert.deepEqual(unbounded, []);
    });

    test('lists of named objects are list-maps keyed by name', () => {
      const lists = visits.filter(({ node }) => node.type === 'array' && node.items?.properties?.name);
      for (const { path, node } of lists) {
        assert.equal(node['x-kubernetes-list-type'], 'map', path);
        assert.deepEqual(node['x-kubernetes-list-map-keys'], ['name'], path);
      }
    });

    test('a group of defaulted settings is itself defaulted, so its defaults apply when it is left out', () => {
      // An optional object whose fields all have defaults (or are optional) only gets those defaults
      // when it exists: it needs `default: {}`. Objects with a required field are written on purpose.
      const lost = visits
        .filter(({ path, node, parent, key }) => {
          if (!path.startsWith('spec.') || node.type !== 'object' || !node.properties) return false;
          const hasDefaultedChild = Object.values(node.properties).some((c) => c.default !== undefined);
          const requiredHere = parent?.required?.includes(key ?? '') || parent?.type === 'array';
          return hasDefaultedChild && !requiredHere && node.default === undefined && !node.required?.length;
        })
        .map((v) => v.path);
      assert.deepEqual(lost, []);
    });

    test('every default is a value the field allows', () => {
      for (const { path, node } of visits) {
        const d = node.default;
        if (d === undefined) continue;
        if (node.enum) assert.ok(node.enum.includes(d as string), `${path}: default ${d} not in enum`);
        if (node.type === 'array') {
          for (const item of d as unknown[]) {
            if (node.items?.enum) assert.ok(node.items.enum.includes(item as string), `${path}: ${item}`);
          }
          assert.ok((d as unknown[]).length <= (node.maxItems ?? Infinity), path);
        }
        if (typeof d === 'number') {
          assert.ok(d >= (node.minimum ?? -Infinity) && d <= (node.maximum ?? Infinity), `${path}: ${d}`);
        }
        if (typeof d === 'string' && node.pattern) assert.match(d, new RegExp(node.pattern), path);
      }
    });

    test('every CEL rule carries a message for the user', () => {
      for (const { path, node } of visits) {
        for (const r of node['x-kubernetes-validations'] ?? []) {
          assert.ok(r.message || r.messageExpression, `${path}: ${r.rule}`);
        }
      }
    });

    test('status conditions have the metav1.Condition shape kstatus reads', () => {
      const conditions = visits.find((v) => v.path === 'status.conditions')!.node;
      assert.equal(conditions['x-kubernetes-list-type'], 'map');
      assert.deepEqual(conditions['x-kubernetes-list-map-keys'], ['type']);
      assert.deepEqual(conditions.items!.required, [
        'type',
        'status',
        'lastTransitionTime',
        'reason',
        'message',
      ]);
      assert.ok(Object.keys(kind.conditionTypes).includes('Ready'));
      assert.ok(visits.some((v) => v.path === 'status.observedGeneration'));
    });
  });
}

describe('CRDs', () => {
  test('namespaced, with a status subresource, short names and the streaming category', () => {
    for (const kind of v1alpha1.kinds) {
      const crd = crdObject(v1alpha1, kind) as {
        spec: { scope: string; names: { categories: string[] }; versions: { subresources: unknown }[] };
      };
      assert.equal(crd.spec.scope, 'Namespaced');
      assert.deepEqual(crd.spec.names.categories, ['streaming']);
      assert.deepEqual(crd.spec.versions[0]!.subresources, { status: {} });
    }
  });

  test('every printer column points at a field that exists in the schema', () => {
    for (const kind of v1alpha1.kinds) {
      const root = rootSchema(v1alpha1, kind);
      for (const column of kind.printerColumns) {
        if (column.jsonPath.startsWith('.metadata.')) continue;
        let node: Schema | undefined = root;
        for (const part of column.jsonPath
          .replace(/\[\?\(.*?\)\]/g, '[]')
          .split('.')
          .slice(1)) {
          const [name, list] = [part.replace('[]', ''), part.endsWith('[]')];
          node = node?.properties?.[name];
          if (list) node = node?.items;
        }
        assert.ok(node, `${kind.kind} column ${column.name}: ${column.jsonPath}`);
      }
    }
  });

  test('the kinds claim distinct short names', () => {
    const all = v1alpha1.kinds.flatMap((k) => k.shortNames);
    assert.equal(new Set(all).size, all.length);
  });
});
