import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Condition } from '../../../operator/api/v1alpha1/index.js';
import {
  mergeConditions,
  microTime,
  rfc3339,
  statusChanged,
  transitions,
} from '../../../operator/runtime/conditions.js';

const t0 = new Date('2026-12-01T10:00:00.123Z');
const t1 = new Date('2026-12-01T11:00:00.456Z');
const ready = (status: Condition['status'], message = 'm'): Condition => ({
  type: 'Ready',
  status,
  observedGeneration: 1,
  lastTransitionTime: rfc3339(t0),
  reason: status === 'True' ? 'Ready' : 'NotReady',
  message,
});

describe('conditions', () => {
  test('an unchanged status keeps its lastTransitionTime, even when reason or message change', () => {
    const [c] = mergeConditions(
      [ready('True')],
      [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'other' }],
      2,
      t1,
    );
    assert.equal(c!.lastTransitionTime, '2026-12-01T10:00:00Z');
    assert.equal(c!.message, 'other');
    assert.equal(c!.observedGeneration, 2);
  });

  test('a flipped status gets a new lastTransitionTime with seconds precision', () => {
    const [c] = mergeConditions(
      [ready('True')],
      [{ type: 'Ready', status: 'False', reason: 'X', message: 'y' }],
      1,
      t1,
    );
    assert.equal(c!.lastTransitionTime, '2026-12-01T11:00:00Z');
  });

  test('a status that differs only in transition times is not a change; one that differs in a message is', () => {
    const a = { observedGeneration: 1, conditions: [ready('True')] };
    const b = { observedGeneration: 1, conditions: [{ ...ready('True'), lastTransitionTime: rfc3339(t1) }] };
    assert.equal(statusChanged(a, b), false);
    assert.equal(statusChanged(a, { ...a, conditions: [ready('True', 'changed')] }), true);
    assert.equal(statusChanged(undefined, a), true);
  });

  test('key order does not make a change', () => {
    assert.equal(statusChanged({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 }), false);
  });

  test('transitions lists conditions that are new or flipped', () => {
    const next = mergeConditions(
      [ready('True')],
      [
        { type: 'Ready', status: 'True', reason: 'Ready', message: '' },
        { type: 'Stalled', status: 'False', reason: 'AsExpected', message: '' },
      ],
      1,
      t1,
    );
    assert.deepEqual(
      transitions([ready('True')], next).map((c) => c.type),
      ['Stalled'],
    );
  });

  test('MicroTime has exactly six fractional digits', () => {
    assert.equal(microTime(t0), '2026-12-01T10:00:00.123000Z');
  });
});
