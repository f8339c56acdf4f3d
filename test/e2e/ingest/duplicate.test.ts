// One publisher per stream: a second encoder with the right key is refused while the first is
// healthy, and none of its media reaches the subscribers (a puller decodes the first stream with
// zero errors). The same scenario against bare node-media-server 4.4.3 is the control: there the
// refused publisher's packets are relayed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  BareNms,
  ffmpegPublish,
  ffmpegPull,
  frameSizes,
  Ingest,
  stopAll,
  waitFor,
  sleep,
} from './harness.js';

const scratch = mkdtempSync(join(tmpdir(), 'ingest-dup-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('a duplicate publisher', () => {
  let ingest: Ingest;
  before(async () => {
    ingest = await new Ingest().start();
  });
  after(async () => {
    await stopAll();
    await ingest?.stop();
  });

  test('is refused and none of its media reaches the subscriber', async () => {
    const first = ffmpegPublish(ingest.publishUrl(), { seconds: 14, size: '320x240' });
    await waitFor('publishing', async () =>
      (await ingest.status()).video?.width === 320 ? true : undefined,
    );
    const record = join(scratch, 'ingest.flv');
    const puller = ffmpegPull(ingest.pullUrl(), { seconds: 9, record });
    await waitFor('the subscriber', async () =>
      (await ingest.status()).subscribers === 1 ? true : undefined,
    );
    for (let attempt = 0; attempt < 3; attempt++) {
      const second = ffmpegPublish(ingest.publishUrl(), { seconds: 5, size: '640x360', tone: 880 });
      assert.notEqual((await second.exit(10_000)).code, 0);
      assert.match(second.stderr, /Server error: The stream is already being published/);
      const status = await ingest.status();
      assert.deepEqual(
        [status.video?.width, status.video?.height],
        [320, 240],
        "the first stream's figures are untouched",
      );
      await sleep(500);
    }
    assert.equal((await puller.exit(20_000)).code, 0);
    assert.equal(puller.stderr, '', 'zero decode errors');
    const sizes = await frameSizes(record);
    assert.deepEqual(Object.keys(sizes), ['320x240'], `frame sizes ${JSON.stringify(sizes)}`);
    assert.ok(sizes['320x240']! >= 200, 'about 9 s of 25 fps');
    const metrics = await ingest.metrics();
    assert.equal(
      metrics.get('livestream_ingest_connections_rejected_total', { reason: 'publisher_active' }),
      3,
    );
    assert.equal(metrics.get('livestream_ingest_publishes_total'), 1);
    first.signal('SIGTERM');
    await first.exit(10_000);
  });
});

describe('control: bare node-media-server 4.4.3', () => {
  let nms: BareNms;
  before(async () => {
    nms = await new BareNms().start();
  });
  after(async () => {
    await stopAll();
    await nms?.stop();
  });

  test("relays a refused duplicate publisher's packets to the subscriber", async () => {
    const first = ffmpegPublish(nms.url('dup'), { seconds: 12, size: '320x240' });
    await sleep(1500);
    const record = join(scratch, 'bare.flv');
    const puller = ffmpegPull(nms.url('dup'), { seconds: 7, record });
    await sleep(1500);
    const second = ffmpegPublish(nms.url('dup'), { seconds: 3, size: '640x360', tone: 880 });
    await second.exit(15_000);
    await puller.exit(20_000);
    const sizes = await frameSizes(record);
    console.log(
      `control: frame sizes ${JSON.stringify(sizes)}, puller errors: ${puller.stderr.split('\n').length - 1} lines`,
    );
    const leaked = puller.stderr.trim() !== '' || Object.keys(sizes).some((s) => s !== '320x240');
    assert.ok(
      leaked,
      `expected the defect (errors or foreign frames); got sizes ${JSON.stringify(sizes)} and stderr "${puller.stderr.slice(0, 300)}"`,
    );
    first.signal('SIGTERM');
    await first.exit(10_000);
  });
});
