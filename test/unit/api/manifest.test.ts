import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyEdit, parsePath } from '../../integration/api/manifest.js';

test('paths address fields, list items and map keys with dots', () => {
  assert.deepEqual(parsePath('spec.renditions[1].width'), ['spec', 'renditions', 1, 'width']);
  assert.deepEqual(parsePath('spec.nodeSelector["topology.kubernetes.io/zone"]'), [
    'spec',
    'nodeSelector',
    'topology.kubernetes.io/zone',
  ]);
  assert.throws(() => parsePath('spec..x'), /bad path/);
});

test('an edit changes a copy, and removing a field that is not there is an error', () => {
  const original = { spec: { renditions: [{ name: 'a', width: 2 }] } };
  const edited = applyEdit(original, { set: { 'spec.renditions[0].width': 4, 'spec.video.codec': 'hevc' } });
  assert.deepEqual(edited, { spec: { renditions: [{ name: 'a', width: 4 }], video: { codec: 'hevc' } } });
  assert.equal(original.spec.renditions[0]!.width, 2);
  assert.throws(() => applyEdit(original, { unset: ['spec.typo'] }), /no spec.typo to remove/);
});
