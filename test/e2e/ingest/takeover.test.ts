// A reconnecting encoder whose old connection died: with the default policy ("stale") the new
// connection takes over as soon as the old one has been silent for --takeover-after, without
// waiting for the idle timeout; with "never" it waits for the idle timeout to close the old one.
// Encoders are told apart by connection, never by IP address (behind SNAT many share one).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ffmpegPublish, ffmpegPull, Ingest, sleep, stopAll, waitFor, type Proc } from './harness.js';

/** Keeps starting an encoder every `everyMs` (as OBS retries) until one is publishing 640x360. */
async function reconnectingEncoder(
  ingest: Ingest,
  everyMs = 700,
): Promise<{ encoder: Proc; attempts: number }> {
  let attempts = 0;
  for (;;) {
    attempts++;
    const encoder = ffmpegPublish(ingest.publishUrl(), { seconds: 60, size: '640x360', tone: 880 });
    while (encoder.exitInfo === undefined) {
      if ((await ingest.status()).video?.width === 640) return { encoder, attempts };
      await sleep(100);
    }
    assert.match(encoder.stderr, /already being published/);
    await sleep(everyMs);
  }
}

describe('takeover policy "stale" (default, --takeover-after 2s)', () => {
  let ingest: Ingest;
  after(async () => {
    await stopAll();
    await ingest?.stop();
  });

  test('an encoder whose connection went silent is replaced within a few seconds', async () => {
    ingest = await new Ingest().start();
    const old = ffmpegPublish(ingest.publishUrl(), { seconds: 60 });
    await waitFor('publishing', async () =>
      (await ingest.status()).video?.width === 320 ? true : undefined,
    );
    const firstSince = (await ingest.status()).since;
    const subscriber = ffmpegPull(ingest.pullUrl());
    await waitFor('the subscriber', async () =>
      (await ingest.status()).subscribers === 1 ? true : undefined,
    );

    old.signal('SIGSTOP'); // the old connection stays open but carries nothing, like a dropped network
    const stoppedAt = Date.now();
    const { encoder } = await reconnectingEncoder(ingest);
    const tookMs = Date.now() - stoppedAt;
    assert.ok(tookMs < 6000, `took over after ${tookMs} ms`);

    const status = await ingest.status();
    assert.equal(status.lastPublish?.reason, 'taken_over');
    assert.notEqual(status.since, firstSince, 'a new publish, not a resumed one');
    assert.ok(status.publisher!.receivedBytes < 5_000_000);
    // The subscriber of the old publish was ended cleanly so it restarts on the new stream.
    assert.equal((await subscriber.exit(10_000)).code, 0);
    const metrics = await ingest.metrics();
    assert.equal(metrics.get('livestream_ingest_takeovers_total'), 1);
    assert.equal(
      metrics.get('livestream_ingest_sessions_ended_total', { role: 'publisher', reason: 'taken_over' }),
      1,
    );
    assert.equal(
      metrics.get('livestream_ingest_sessions_ended_total', { role: 'subscriber', reason: 'publisher_gone' }),
      1,
    );
    const again = ffmpegPull(ingest.pullUrl(), { seconds: 2 });
    assert.equal((await again.exit(15_000)).code, 0, again.stderr);

    old.signal('SIGKILL');
    // An encoder whose process died (the kernel closes its socket) is replaced on the first attempt.
    encoder.signal('SIGKILL');
    await encoder.exited;
    const killedAt = Date.now();
    const { attempts } = await reconnectingEncoder(ingest);
    assert.equal(attempts, 1);
    assert.ok(Date.now() - killedAt < 4000);
  });
});

describe('takeover policy "never"', () => {
  let ingest: Ingest;
  after(async () => {
    await stopAll();
    await ingest?.stop();
  });

  test('a silent publisher keeps the stream until the idle timeout closes it', async () => {
    ingest = await new Ingest({ flags: ['--takeover', 'never', '--idle-timeout', '3s'] }).start();
    const old = ffmpegPublish(ingest.publishUrl(), { seconds: 60 });
    await waitFor('publishing', async () =>
      (await ingest.status()).video?.width === 320 ? true : undefined,
    );
    old.signal('SIGSTOP');
    const stoppedAt = Date.now();
    const { attempts } = await reconnectingEncoder(ingest, 500);
    const tookMs = Date.now() - stoppedAt;
    assert.ok(attempts >= 2, 'refused while the silent publisher was still connected');
    assert.ok(tookMs >= 3000 && tookMs < 8000, `took ${tookMs} ms`);
    const metrics = await ingest.metrics();
    assert.equal(
      metrics.get('livestream_ingest_sessions_ended_total', { role: 'publisher', reason: 'idle_timeout' }),
      1,
    );
    assert.equal(metrics.get('livestream_ingest_takeovers_total'), 0);
    old.signal('SIGKILL');
  });
});
