// SIGTERM with an encoder and a subscriber connected: the ingest stops accepting, ends both sessions
// (the subscriber sees a clean end of stream) and exits 0 well within its grace period. It runs as
// an unprivileged user in a directory it cannot write, and writes nothing (node-media-server's own
// server would create ./data there).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { ffmpegPublish, ffmpegPull, Ingest, stopAll, waitFor } from './harness.js';

describe('shutdown', () => {
  let ingest: Ingest;
  after(async () => {
    await stopAll();
    await ingest?.stop();
  });

  test('SIGTERM drains within the grace period; nothing is written; runs as non-root', async () => {
    ingest = await new Ingest({ asNobody: true, flags: ['--shutdown-timeout', '5s'] }).start();
    if (process.getuid?.() === 0) {
      const uid = /Uid:\s+(\d+)/.exec(readFileSync(`/proc/${ingest.proc.pid}/status`, 'utf8'))?.[1];
      assert.notEqual(uid, '0', 'the ingest runs as nobody');
    }
    const encoder = ffmpegPublish(ingest.publishUrl(), { seconds: 60 });
    await waitFor('publishing', async () => ((await ingest.status()).publishing ? true : undefined));
    const puller = ffmpegPull(ingest.pullUrl());
    await waitFor('the subscriber', async () =>
      (await ingest.status()).subscribers === 1 ? true : undefined,
    );

    const signalledAt = Date.now();
    ingest.proc.signal('SIGTERM');
    const { code } = await ingest.proc.exit(10_000);
    const tookMs = Date.now() - signalledAt;
    console.log(`shutdown: exited ${tookMs} ms after SIGTERM`);
    assert.equal(code, 0, ingest.proc.stderr);
    assert.ok(tookMs < 3000, `exited after ${tookMs} ms`);

    assert.equal((await puller.exit(10_000)).code, 0, `the subscriber ended cleanly: ${puller.stderr}`);
    await encoder.exit(10_000);
    const logs = ingest.logs();
    const ended = logs
      .filter((l) => l.msg === 'publish ended' || l.msg === 'subscription ended')
      .map((l) => l.reason);
    assert.deepEqual(ended.sort(), ['shutdown', 'shutdown']);
    assert.ok(logs.some((l) => l.msg === 'stopped'));
    assert.equal(ingest.proc.stderr, '', 'no stray output outside the JSON log');
    assert.deepEqual(readdirSync(ingest.cwd), [], 'nothing written to the working directory');
    assert.deepEqual(readdirSync(ingest.dir).sort(), ['play-token', 'stream-key']);
  });
});
