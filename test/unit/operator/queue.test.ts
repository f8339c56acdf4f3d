import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkQueue } from '../../../operator/runtime/queue.js';
import { ExponentialBackoff, MaxOf, TokenBucket } from '../../../operator/runtime/ratelimit.js';

const noLimit = { when: () => 0, forget: () => {}, retries: () => 0 };

describe('WorkQueue', () => {
  test('a key added many times waits once', async () => {
    const q = new WorkQueue('t', noLimit);
    q.add('a');
    q.add('a');
    q.add('b');
    assert.equal(q.length, 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
  });

  test('a key being processed is not handed out again until done, then once more if it was re-added', async () => {
    const q = new WorkQueue('t', noLimit);
    q.add('a');
    const first = await q.get();
    q.add('a');
    q.add('a');
    assert.equal(q.length, 0, 'not queued while in flight');
    q.done(first!);
    assert.equal(q.length, 1, 'queued again once done');
    assert.equal(await q.get(), 'a');
    q.done('a');
    assert.equal(q.length, 0);
  });

  test('a waiting worker gets the next key as soon as it is added', async () => {
    const q = new WorkQueue('t', noLimit);
    const waiting = q.get();
    q.add('x');
    assert.equal(await waiting, 'x');
  });

  test('addAfter keeps the earliest pending delay for a key', async () => {
    const q = new WorkQueue('t', noLimit);
    q.addAfter('a', 60_000);
    q.addAfter('a', 1);
    assert.equal(await q.get(), 'a');
    q.done('a');
    q.shutDown();
  });

  test('shutDown releases waiting workers with undefined and refuses new keys', async () => {
    const q = new WorkQueue('t', noLimit);
    const waiting = q.get();
    q.shutDown();
    assert.equal(await waiting, undefined);
    q.add('a');
    assert.equal(await q.get(), undefined);
  });

  test('metrics hooks see adds, depth, queue and work durations', async () => {
    const seen: string[] = [];
    const q = new WorkQueue('t', noLimit, {
      add: () => seen.push('add'),
      depth: (n) => seen.push(`depth ${n}`),
      retry: () => seen.push('retry'),
      queued: () => seen.push('queued'),
      worked: () => seen.push('worked'),
    });
    q.add('a');
    const k = await q.get();
    q.done(k!);
    assert.deepEqual(seen, ['add', 'depth 1', 'depth 0', 'queued', 'worked']);
  });
});

describe('rate limiters', () => {
  test('per-key exponential backoff doubles from the base up to the cap, and forget resets it', () => {
    const b = new ExponentialBackoff(5, 50);
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => b.when('k')),
      [5, 10, 20, 40, 50],
    );
    assert.equal(b.when('other'), 5, 'keys back off independently');
    assert.equal(b.retries('k'), 5);
    b.forget('k');
    assert.equal(b.when('k'), 5);
  });

  test('the token bucket lets a burst through, then paces at its rate', () => {
    let now = 0;
    const t = new TokenBucket(10, 3, () => now);
    assert.deepEqual([t.when(), t.when(), t.when()], [0, 0, 0]);
    assert.equal(t.when(), 100, 'the fourth waits one token at 10/s');
    assert.equal(t.when(), 200);
    now = 1_000;
    assert.equal(t.when(), 0, 'refilled after a second');
  });

  test('the combined limiter waits for the longer of the two', () => {
    const now = 0;
    const m = new MaxOf(new ExponentialBackoff(5, 1000), new TokenBucket(1, 1, () => now));
    assert.equal(m.when('a'), 5);
    assert.equal(m.when('a'), 1000, 'bucket empty: 1 s at 1/s beats 10 ms backoff');
  });
});
