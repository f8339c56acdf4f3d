// A subscriber that stops reading (a real ffmpeg puller frozen with SIGSTOP) costs the ingest a
// bounded amount of memory: its frames are dropped (or it is disconnected), a healthy subscriber
// next to it is unaffected, and a subscriber that reads nothing for the idle timeout is closed.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { decodeErrors, ffmpegPublish, ffmpegPull, Ingest, sleep, stopAll, waitFor } from './harness.js';

const QUEUE = 512 * 1024;
// A noisy picture at a low quantiser: ~30 Mb/s, so kernel socket buffers fill within a second or two.
const noisy = { size: '480x270', filter: 'noise=alls=40:allf=t', videoArgs: ['-qp', '12'], seconds: 30 };

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

describe('a subscriber that stops reading', () => {
  let ingest: Ingest;
  const scratch = mkdtempSync(join(tmpdir(), 'ingest-slow-'));
  after(async () => {
    await stopAll();
    await ingest?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('drop: its queue stays bounded, frames are dropped, and it is closed once it stalls', async () => {
    ingest = await new Ingest({
      flags: ['--subscriber-queue-bytes', String(QUEUE), '--idle-timeout', '4s'],
    }).start();
    const encoder = ffmpegPublish(ingest.publishUrl(), noisy);
    await waitFor('publishing', async () => ((await ingest.status()).publishing ? true : undefined));
    // The healthy subscriber only copies to a file (decoding 30 Mb/s live could fall behind on a
    // loaded machine and make it slow too); the file is decoded afterwards.
    const record = join(scratch, 'healthy.flv');
    const healthy = ffmpegPull(ingest.pullUrl(), { seconds: 10, record, decode: false });
    const frozen = ffmpegPull(ingest.pullUrl());
    await waitFor('two subscribers', async () =>
      (await ingest.status()).subscribers === 2 ? true : undefined,
    );
    await sleep(500);
    frozen.signal('SIGSTOP');

    let maxQueued = 0;
    let maxRss = 0;
    let dropped = 0;
    let healthyDropped: number | undefined;
    const until = Date.now() + 9000;
    while (Date.now() < until) {
      const status = await ingest.status();
      for (const s of status.subscriberSessions) {
        maxQueued = Math.max(maxQueued, s.queuedBytes);
        dropped = Math.max(dropped, s.droppedFrames);
      }
      maxRss = Math.max(maxRss, rssBytes(ingest.proc.pid));
      if (status.subscribers === 1 && dropped > 0) {
        healthyDropped = status.subscriberSessions[0]!.droppedFrames;
        break;
      }
      await sleep(100);
    }
    const metrics = await ingest.metrics();
    const inBytes = metrics.get('livestream_ingest_media_bytes_total', { track: 'video' });
    console.log(
      `slow subscriber: max queued ${maxQueued} B (bound ${QUEUE}), dropped ${dropped} frames, ingest RSS max ${(maxRss / 2 ** 20).toFixed(0)} MiB, video relayed ${(inBytes / 2 ** 20).toFixed(1)} MiB`,
    );
    assert.ok(dropped > 0, 'frames were dropped for the frozen subscriber');
    assert.ok(maxQueued > 0 && maxQueued <= QUEUE + 512 * 1024, `queued at most ${maxQueued} bytes`);
    assert.ok(inBytes > 10 * QUEUE, 'far more was relayed than the queue could hold');
    await waitFor(
      'the frozen subscriber to be closed as stalled',
      async () =>
        (await ingest.metrics()).get('livestream_ingest_sessions_ended_total', {
          role: 'subscriber',
          reason: 'stalled',
        }) === 1
          ? true
          : undefined,
      10_000,
    );
    assert.ok((await ingest.metrics()).get('livestream_ingest_subscriber_dropped_frames_total') >= dropped);

    assert.equal(healthyDropped, 0, 'nothing was dropped for the subscriber that kept reading');
    assert.equal((await healthy.exit(20_000)).code, 0, healthy.stderr);
    assert.deepEqual(await decodeErrors(record), [], 'what the healthy subscriber received decodes cleanly');
    frozen.signal('SIGKILL');
    await encoder.stop();
  });

  test('disconnect: it is closed as soon as its queue is full', async () => {
    await ingest.stop();
    ingest = await new Ingest({
      flags: ['--subscriber-queue-bytes', String(QUEUE), '--slow-subscriber', 'disconnect'],
    }).start();
    const encoder = ffmpegPublish(ingest.publishUrl(), noisy);
    await waitFor('publishing', async () => ((await ingest.status()).publishing ? true : undefined));
    const frozen = ffmpegPull(ingest.pullUrl());
    await waitFor('the subscriber', async () =>
      (await ingest.status()).subscribers === 1 ? true : undefined,
    );
    frozen.signal('SIGSTOP');
    const stoppedAt = Date.now();
    await waitFor(
      'the slow subscriber to be disconnected',
      async () =>
        (await ingest.metrics()).get('livestream_ingest_sessions_ended_total', {
          role: 'subscriber',
          reason: 'slow_subscriber',
        }) === 1
          ? true
          : undefined,
      10_000,
    );
    assert.ok(Date.now() - stoppedAt < 8000);
    frozen.signal('SIGKILL');
    await encoder.stop();
  });
});
