// Wrong, missing and rotated credentials with real ffmpeg clients: refused at once, nothing created,
// nothing relayed, and no ghost publisher left behind.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ffmpegPublish, ffmpegPull, Ingest, PLAY_TOKEN, STREAM_KEY, stopAll, waitFor } from './harness.js';

describe('credentials', () => {
  let ingest: Ingest;

  before(async () => {
    ingest = await new Ingest().start();
  });
  after(async () => {
    await stopAll();
    await ingest?.stop();
  });

  const refusedPublishes: [string, (i: Ingest) => string, string, string][] = [
    [
      'a wrong key',
      (i) => i.publishUrl('not-the-right-key-123'),
      'wrong_key',
      'The stream key was not accepted',
    ],
    [
      'no key at all',
      (i) => `rtmp://127.0.0.1:${i.rtmpPort}/live/stream`,
      'missing_key',
      'A stream key is required',
    ],
    [
      'the right key under another app',
      (i) => `rtmp://127.0.0.1:${i.rtmpPort}/other/${STREAM_KEY}`,
      'invalid_path',
      'Unknown stream',
    ],
    [
      'the play token as a key',
      (i) => i.publishUrl(PLAY_TOKEN),
      'wrong_key',
      'The stream key was not accepted',
    ],
  ];
  for (const [name, url, reason, message] of refusedPublishes) {
    test(`${name} is refused at once and creates nothing`, async () => {
      const before = await ingest.metrics();
      const started = Date.now();
      const encoder = ffmpegPublish(url(ingest), { seconds: 5 });
      const { code } = await encoder.exit(10_000);
      assert.notEqual(code, 0);
      assert.ok(Date.now() - started < 4000, 'ffmpeg gave up long before its 5 s of media');
      assert.match(encoder.stderr, new RegExp(`Server error: ${message}`));
      const status = await ingest.status();
      assert.equal(status.publishing, false);
      assert.equal(status.lastPublish, null, 'no publish ever started');
      const after = await ingest.metrics();
      assert.equal(
        after.get('livestream_ingest_connections_rejected_total', { reason }) -
          before.get('livestream_ingest_connections_rejected_total', { reason }),
        1,
      );
      assert.equal(
        after.get('livestream_ingest_media_bytes_total', { track: 'video' }),
        0,
        'nothing was relayed',
      );
    });
  }

  test('a refused publish leaves no ghost: the right key publishes from the same address right away', async () => {
    const wrong = ffmpegPublish(ingest.publishUrl('not-the-right-key-123'), { seconds: 5 });
    await wrong.exit(10_000);
    const started = Date.now();
    const right = ffmpegPublish(ingest.publishUrl(), { seconds: 30 });
    await waitFor('publishing', async () => ((await ingest.status()).publishing ? true : undefined));
    assert.ok(Date.now() - started < 3000, 'no grace period blocks the stream after a refusal');
    right.signal('SIGTERM');
    await right.exit(10_000);
    await waitFor('unpublished', async () => ((await ingest.status()).publishing ? undefined : true));
  });

  test('pulls need the play token: none, a wrong one, the stream key or another name are refused', async () => {
    const encoder = ffmpegPublish(ingest.publishUrl(), { seconds: 30 });
    await waitFor('publishing', async () => ((await ingest.status()).publishing ? true : undefined));
    const base = `rtmp://127.0.0.1:${ingest.rtmpPort}/live`;
    const refused: [string, string, string][] = [
      [`${base}/stream`, 'missing_token', 'A play token is required'],
      [`${base}/stream?token=guess-guess-guess`, 'wrong_token', 'The play token was not accepted'],
      [`${base}/stream?token=${STREAM_KEY}`, 'wrong_token', 'The play token was not accepted'],
      [`${base}/${STREAM_KEY}?token=${PLAY_TOKEN}`, 'invalid_path', 'Unknown stream'],
    ];
    for (const [url, reason, message] of refused) {
      const before = (await ingest.metrics()).get('livestream_ingest_connections_rejected_total', { reason });
      const puller = ffmpegPull(url, { seconds: 3 });
      assert.notEqual((await puller.exit(10_000)).code, 0, url);
      assert.match(puller.stderr, new RegExp(message));
      const after = (await ingest.metrics()).get('livestream_ingest_connections_rejected_total', { reason });
      assert.equal(after - before, 1, url);
    }
    assert.equal((await ingest.status()).subscribers, 0);
    const good = ffmpegPull(ingest.pullUrl(), { seconds: 2 });
    assert.equal((await good.exit(15_000)).code, 0, good.stderr);
    encoder.signal('SIGTERM');
    await encoder.exit(10_000);
  });

  test('a rotated key ends the publish that used the old one; only the new key publishes', async () => {
    const old = ffmpegPublish(ingest.publishUrl(), { seconds: 60 });
    await waitFor('publishing', async () => ((await ingest.status()).publishing ? true : undefined));
    const newKey = 'rotated-stream-key-5d6e7f80';
    ingest.writeKey(newKey);
    const { code } = await old.exit(10_000);
    assert.notEqual(code, 0, 'the encoder using the old key was disconnected');
    assert.equal((await ingest.status()).lastPublish?.reason, 'key_rotated');
    const stale = ffmpegPublish(ingest.publishUrl(STREAM_KEY), { seconds: 5 });
    assert.notEqual((await stale.exit(10_000)).code, 0);
    assert.match(stale.stderr, /The stream key was not accepted/);
    const fresh = ffmpegPublish(ingest.publishUrl(newKey), { seconds: 2 });
    assert.equal((await fresh.exit(15_000)).code, 0, fresh.stderr);
    const metrics = await ingest.metrics();
    assert.equal(
      metrics.get('livestream_ingest_secret_reloads_total', { secret: 'stream_key', result: 'changed' }),
      1,
    );
    assert.equal(ingest.proc.stdout.includes(newKey), false, 'the new key is not logged either');
  });

  test('an invalid key file keeps the last good key and says so', async () => {
    ingest.writeKey('short');
    await waitFor('the reload error', async () =>
      (await ingest.metrics()).get('livestream_ingest_secret_reloads_total', {
        secret: 'stream_key',
        result: 'error',
      }) === 1
        ? true
        : undefined,
    );
    assert.equal((await ingest.status()).ready, true);
    assert.ok(
      ingest
        .logs()
        .some(
          (l) =>
            l.level === 'error' && String(l.msg).includes('is 5 characters long; at least 8 are required'),
        ),
    );
  });
});
