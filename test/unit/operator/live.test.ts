// The live-status poller: which view each stream gets, and when a stream is enqueued.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Logger } from '../../../lib/log.js';
import { LivePoller, type LiveTarget } from '../../../operator/controllers/livestream/live.js';
import { liveSignature } from '../../../operator/manager.js';

const quiet = new Logger({}, { level: 'error', write: () => {} });
const ingest = (publishing: boolean) => ({
  ready: true,
  publishing,
  since: publishing ? 't0' : null,
  bitsPerSecond: 3_000_000,
  video: null,
  streamPath: '/live/stream',
});

function poller(targets: Map<string, LiveTarget>, answers: Record<string, unknown>) {
  const changed: string[] = [];
  const p = new LivePoller({
    enabled: true,
    intervalMs: 1000,
    timeoutMs: 1000,
    concurrency: 2,
    targets: () => targets,
    changed: (k) => changed.push(k),
    signature: liveSignature,
    log: quiet,
    fetchImpl: (async (url: string) => {
      const ip = new URL(url).hostname;
      if (!(ip in answers)) throw Object.assign(new Error('timeout'), { name: 'TimeoutError' });
      return new Response(JSON.stringify(answers[ip]), { status: 200 });
    }) as typeof fetch,
  });
  return { p, changed };
}

describe('LivePoller', () => {
  test('before the first round a stream is "pending" (status keeps what it said); after it, one without pods has none', async () => {
    const { p } = poller(new Map(), {});
    assert.equal(p.view('ns/a').kind, 'pending');
    await p.pollAll();
    assert.equal(p.view('ns/a').kind, 'noPods');
  });

  test('an answering ingest gives its status; a silent one is unreachable, with the address in the message', async () => {
    const targets = new Map<string, LiveTarget>([
      ['ns/a', { ingestIP: '198.18.0.1' }],
      ['ns/b', { ingestIP: '198.18.0.2' }],
    ]);
    const { p } = poller(targets, { '198.18.0.1': ingest(true) });
    await p.pollAll();
    const a = p.view('ns/a');
    assert.equal(a.kind === 'ok' && a.ingest.publishing, true);
    const b = p.view('ns/b');
    assert.equal(b.kind, 'unreachable');
    assert.match(
      b.kind === 'unreachable' ? b.message : '',
      /198\.18\.0\.2:9090\/status did not answer \(no answer within 1000 ms\)/,
    );
  });

  test('a stream is enqueued when what its status shows changes, not on every round', async () => {
    const targets = new Map<string, LiveTarget>([['ns/a', { ingestIP: '198.18.0.1' }]]);
    const answers: Record<string, unknown> = { '198.18.0.1': ingest(false) };
    const { p, changed } = poller(targets, answers);
    await p.pollAll();
    await p.pollAll();
    assert.deepEqual(changed, ['ns/a'], 'first sight only');
    answers['198.18.0.1'] = ingest(true);
    await p.pollAll();
    assert.deepEqual(changed, ['ns/a', 'ns/a'], 'publishing started');
  });

  test('disabled: every stream says so', () => {
    const p = new LivePoller({
      enabled: false,
      intervalMs: 1,
      timeoutMs: 1,
      concurrency: 1,
      targets: () => new Map(),
      changed: () => {},
      signature: liveSignature,
      log: quiet,
    });
    assert.equal(p.view('ns/a').kind, 'disabled');
  });
});
