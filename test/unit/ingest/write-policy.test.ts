import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decideWrite,
  type MessageKind,
  type SlowSubscriberPolicy,
} from '../../../ingest/rtmp/write-policy.js';

const MAX = 1000;

function run(policy: SlowSubscriberPolicy, steps: [MessageKind, number, number][]) {
  const state = { dropping: false };
  return steps.map(([kind, size, queued]) =>
    decideWrite(state, { kind, size, queued, maxQueuedBytes: MAX, policy }),
  );
}

describe('slow-subscriber write policy', () => {
  test('writes while the queue has room', () => {
    assert.deepEqual(
      run('drop', [
        ['frame', 100, 0],
        ['frame', 100, 800],
      ]),
      ['write', 'write'],
    );
  });

  test('drop: skips frames from the first that does not fit until a keyframe finds the queue half empty', () => {
    assert.deepEqual(
      run('drop', [
        ['frame', 300, 800], // does not fit: start dropping
        ['frame', 10, 0], // queue drained, but no keyframe yet
        ['keyframe', 300, 600], // keyframe, queue still over half
        ['keyframe', 300, 400], // keyframe, queue at most half: resume
        ['frame', 100, 700],
      ]),
      ['drop', 'drop', 'drop', 'write', 'write'],
    );
  });

  test('decoder configuration is never dropped', () => {
    assert.deepEqual(
      run('drop', [
        ['frame', 300, 800],
        ['config', 50, 999],
      ]),
      ['drop', 'write'],
    );
  });

  test('disconnect: the first message that does not fit ends the subscriber', () => {
    assert.deepEqual(run('disconnect', [['frame', 300, 800]]), ['disconnect']);
  });

  test('an empty queue takes a keyframe larger than the bound', () => {
    assert.deepEqual(run('disconnect', [['keyframe', 5000, 0]]), ['write']);
  });
});
