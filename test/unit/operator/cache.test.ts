import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Cache } from '../../../operator/runtime/cache.js';
import {
  controlledByOther,
  stableJson,
  upToDate,
  withOwnerAndHash,
} from '../../../operator/runtime/apply.js';
import type { KubeObject } from '../../../operator/runtime/rest.js';

const obj = (
  name: string,
  rv: string,
  extra: Partial<KubeObject['metadata']> = {},
  namespace = 'ns',
): KubeObject => ({
  metadata: { name, namespace, resourceVersion: rv, ...extra },
});

describe('Cache', () => {
  test('a relist replaces one namespace: objects missing from it get delete events, others stay', () => {
    const c = new Cache<KubeObject>('t');
    const events: string[] = [];
    c.on({
      add: (o) => events.push(`add ${o.metadata.name}`),
      update: (_a, b) => events.push(`update ${b.metadata.name}`),
      delete: (o) => events.push(`delete ${o.metadata.name}`),
    });
    c.upsert(obj('a', '1'));
    c.upsert(obj('b', '1'));
    c.upsert(obj('x', '1', {}, 'other'));
    events.length = 0;
    c.replace([obj('a', '2'), obj('c', '1')], 'ns');
    assert.deepEqual(events, ['delete b', 'update a', 'add c']);
    assert.ok(c.getIn('other', 'x'), 'another namespace is untouched');
  });

  test('an upsert with the same resourceVersion is not an update', () => {
    const c = new Cache<KubeObject>('t');
    let updates = 0;
    c.on({ update: () => updates++ });
    c.upsert(obj('a', '1'));
    c.upsert(obj('a', '1'));
    assert.equal(updates, 0);
  });

  test('indexes follow updates and deletes', () => {
    const c = new Cache<KubeObject>('t').addIndex('owner', (o) =>
      (o.metadata.ownerReferences ?? []).map((r) => r.uid),
    );
    const owned = (uid: string) => ({
      ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid, controller: true }],
    });
    c.upsert(obj('a', '1', owned('u1')));
    c.upsert(obj('b', '1', owned('u1')));
    assert.deepEqual(
      c
        .byIndex('owner', 'u1')
        .map((o) => o.metadata.name)
        .sort(),
      ['a', 'b'],
    );
    c.upsert(obj('a', '2', owned('u2')));
    assert.deepEqual(
      c.byIndex('owner', 'u1').map((o) => o.metadata.name),
      ['b'],
    );
    c.remove('ns/b');
    assert.deepEqual(c.byIndex('owner', 'u1'), []);
  });
});

describe('apply helpers', () => {
  const owner: KubeObject = {
    apiVersion: 'livestream-operator.io/v1alpha1',
    kind: 'LiveStream',
    metadata: { name: 'main', namespace: 'ns', uid: 'u1' },
  };

  test('the hash ignores key order and changes with content and owner', () => {
    const a = withOwnerAndHash(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { x: '1', y: '2' } },
      owner,
    );
    const b = withOwnerAndHash(
      { kind: 'ConfigMap', apiVersion: 'v1', data: { y: '2', x: '1' }, metadata: { name: 'c' } },
      owner,
    );
    const c = withOwnerAndHash(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { x: '2', y: '2' } },
      owner,
    );
    const d = withOwnerAndHash(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { x: '1', y: '2' } },
      { ...owner, metadata: { ...owner.metadata, uid: 'u2' } },
    );
    const hash = (o: KubeObject) => o.metadata.annotations!['livestream-operator.io/applied-hash'];
    assert.equal(hash(a), hash(b));
    assert.notEqual(hash(a), hash(c));
    assert.notEqual(hash(a), hash(d));
    assert.deepEqual(a.metadata.ownerReferences, [
      {
        apiVersion: owner.apiVersion,
        kind: 'LiveStream',
        name: 'main',
        uid: 'u1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    assert.ok(upToDate(a, b));
    assert.ok(!upToDate(undefined, a));
    assert.equal(stableJson({ b: 1, a: [{ d: 1, c: 2 }] }), '{"a":[{"c":2,"d":1}],"b":1}');
  });

  test('a Deployment whose replicas someone changed is not up to date, whatever its hash', () => {
    const desired = withOwnerAndHash(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 1 } },
      owner,
    );
    assert.ok(upToDate({ ...desired }, desired));
    assert.ok(!upToDate({ ...desired, spec: { replicas: 3 } } as KubeObject, desired));
  });

  test('a child controlled by another owner is not ours to take', () => {
    const theirs = obj('c', '1', {
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x', uid: 'zz', controller: true },
      ],
    });
    assert.equal(controlledByOther(theirs, owner)?.name, 'x');
    assert.equal(controlledByOther(obj('c', '1'), owner), undefined);
  });
});
