// DASH on (output.dash: true): the DASH muxer writes CMAF segments once, listed both by the
// low-latency DASH manifest and by HLS playlists; ffprobe reads the manifest from the origin.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ingest, Proc, Transcoder, ffmpegPublish, smallLadder, stopAll, waitFor } from './harness.js';

describe('transcoder: low-latency DASH beside HLS', () => {
  const ingest = new Ingest();
  let transcoder: Transcoder;

  before(async () => {
    await ingest.start();
    const config = smallLadder(ingest, '');
    config.output.dash = true;
    transcoder = await new Transcoder(config).start();
    ffmpegPublish(ingest.publishUrl(), { size: '640x360', fps: 25, gop: 25, seconds: 120 });
    await transcoder.waitLive();
  });

  after(async () => {
    await stopAll();
    await transcoder?.stop();
    await ingest.stop();
    transcoder?.remove();
  });

  test('the manifest is served as application/dash+xml and describes a live, low-latency stream', async () => {
    const res = await fetch(`${transcoder.origin}/manifest.mpd`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/dash+xml');
    const mpd = await res.text();
    assert.match(mpd, /type="dynamic"/);
    assert.match(mpd, /width="640" height="360"/);
    assert.match(mpd, /width="320" height="180"/);
  });

  test('ffprobe reads every representation through the origin', async () => {
    const proc = new Proc('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name,width,height',
      '-of',
      'json',
      `${transcoder.origin}/manifest.mpd`,
    ]);
    const { code } = await proc.exit(60_000);
    assert.equal(code, 0, proc.stderr);
    const streams = (
      JSON.parse(proc.stdout) as { streams: { codec_name: string; width?: number; height?: number }[] }
    ).streams;
    const video = streams.filter((s) => s.codec_name === 'h264').map((s) => `${s.width}x${s.height}`);
    assert.deepEqual(video.sort(), ['320x180', '640x360']);
    assert.ok(streams.some((s) => s.codec_name === 'aac'));
  });

  test('the HLS master lists the same segments, with FRAME-RATE, and the status measures each rendition', async () => {
    const master = await transcoder.text('/master.m3u8');
    assert.match(master, /RESOLUTION=640x360,.*FRAME-RATE=25\.000\nmedia_0\.m3u8/);
    assert.match(master, /RESOLUTION=320x180,.*FRAME-RATE=25\.000\nmedia_2\.m3u8/);
    const status = await waitFor('bitrates for both renditions', async () => {
      const s = await transcoder.status();
      return s.renditions.every((r) => (r.bitsPerSecond ?? 0) > 0) ? s : undefined;
    });
    assert.equal(status.live, true);
  });
});
