// A real encoder (ffmpeg) publishes with the stream key, a real puller with the play token receives
// H.264/AAC, and the status and metrics agree with what was sent on the wire.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  countingRelay,
  ffmpegPublish,
  ffmpegPull,
  ffprobeStreams,
  Ingest,
  Proc,
  selfSignedCert,
  STREAM_KEY,
  PLAY_TOKEN,
  stopAll,
  waitFor,
} from './harness.js';

describe('publish and pull', () => {
  let ingest: Ingest;

  before(async () => {
    ingest = await new Ingest({ tls: true }).start();
  });
  after(async () => {
    await stopAll();
    await ingest?.stop();
  });

  test('OBS-style key publishes; the token pull sees H.264/AAC; status and metrics match the wire', async () => {
    const relayIn = await countingRelay(ingest.rtmpPort);
    const relayOut = await countingRelay(ingest.rtmpPort);
    try {
      const encoder = ffmpegPublish(`rtmp://127.0.0.1:${relayIn.port}/live/${STREAM_KEY}`, {
        seconds: 8,
        gop: 25,
      });
      const live = await waitFor('publishing', async () =>
        (await ingest.status()).publishing ? true : undefined,
      );
      assert.ok(live);

      const streams = await ffprobeStreams(ingest.pullUrl());
      assert.deepEqual(streams.map((s) => [s.codec_type, s.codec_name, s.width ?? s.sample_rate]).sort(), [
        ['audio', 'aac', '48000'],
        ['video', 'h264', 320],
      ]);

      const puller = ffmpegPull(`rtmp://127.0.0.1:${relayOut.port}/live/stream?token=${PLAY_TOKEN}`);
      await waitFor('a subscriber', async () =>
        (await ingest.status()).subscribers === 1 ? true : undefined,
      );
      await waitFor('measured figures', async () => {
        const s = await ingest.status();
        return s.video?.keyframeIntervalSeconds !== null && s.video!.framesPerSecond > 0 ? true : undefined;
      });
      const status = await ingest.status();
      assert.equal(status.ready, true);
      assert.equal(status.streamPath, '/live/stream');
      assert.ok(status.since && Date.parse(status.since) <= Date.now());
      assert.equal(status.publisher?.transport, 'rtmp');
      assert.match(status.publisher?.encoder ?? '', /^Lavf/);
      assert.deepEqual(
        { codec: status.video?.codec, width: status.video?.width, height: status.video?.height },
        { codec: 'h264', width: 320, height: 240 },
      );
      assert.ok(Math.abs(status.video!.framesPerSecond - 25) < 1, `fps ${status.video!.framesPerSecond}`);
      assert.equal(status.video!.keyframeIntervalSeconds, 1);
      assert.deepEqual(
        { codec: status.audio?.codec, rate: status.audio?.sampleRateHz },
        { codec: 'aac', rate: 48000 },
      );
      assert.ok(
        status.audio!.bitsPerSecond > 50_000 && status.audio!.bitsPerSecond < 80_000,
        `audio ${status.audio!.bitsPerSecond}`,
      );
      assert.ok(status.bitsPerSecond > status.audio!.bitsPerSecond);
      assert.equal(JSON.stringify(status).includes(STREAM_KEY), false, 'the key never appears in the status');

      assert.equal((await encoder.exit(20_000)).code, 0, encoder.stderr);
      const pulled = await puller.exit(20_000);
      assert.equal(pulled.code, 0, 'the puller ends cleanly when the publisher leaves');
      assert.equal(puller.stderr, '', 'the puller decoded without a single error');

      const sentByFfmpeg = Number(encoder.progress().total_size);
      const metrics = await ingest.metrics();
      const received = metrics.get('livestream_ingest_received_bytes_total', { transport: 'rtmp' });
      const sent = metrics.get('livestream_ingest_sent_bytes_total', { transport: 'rtmp' });
      // The relay saw every byte the encoder put on the wire: the counter is exact for this connection
      // (plus the ffprobe's few KB of handshake and commands), and within a few percent of ffmpeg's own count
      // of the FLV it muxed (RTMP chunk headers replace FLV tag headers).
      const probeBytes = received - relayIn.up() - relayOut.up();
      assert.ok(
        probeBytes >= 0 && probeBytes < 20_000,
        `received ${received}, relays ${relayIn.up()} + ${relayOut.up()}`,
      );
      assert.ok(
        Math.abs(relayIn.up() - sentByFfmpeg) / sentByFfmpeg < 0.03,
        `wire ${relayIn.up()} vs ffmpeg total_size ${sentByFfmpeg}`,
      );
      assert.ok(
        sent >= relayOut.down() + relayIn.down(),
        `sent ${sent} vs relays ${relayOut.down()} + ${relayIn.down()}`,
      );
      assert.equal(metrics.get('livestream_ingest_publishes_total'), 1);
      assert.equal(metrics.get('livestream_ingest_publishers'), 0);
      assert.ok(metrics.get('livestream_ingest_video_frames_total') >= 190, 'about 8 s at 25 fps');
      assert.equal(
        metrics.get('livestream_ingest_sessions_ended_total', {
          role: 'publisher',
          reason: 'closed_by_peer',
        }),
        1,
      );
      assert.equal(
        metrics.get('livestream_ingest_sessions_ended_total', {
          role: 'subscriber',
          reason: 'publisher_gone',
        }),
        1,
      );
      const last = (await ingest.status()).lastPublish;
      assert.equal(last?.reason, 'closed_by_peer');
    } finally {
      await relayIn.close();
      await relayOut.close();
    }
  });

  test('the key as ?key= on any stream name publishes too', async () => {
    const encoder = ffmpegPublish(`rtmp://127.0.0.1:${ingest.rtmpPort}/live/my-show?key=${STREAM_KEY}`, {
      seconds: 3,
    });
    await waitFor('publishing', async () => ((await ingest.status()).publishing ? true : undefined));
    assert.equal((await encoder.exit(15_000)).code, 0, encoder.stderr);
  });

  test('RTMPS: publish and pull over TLS with the mounted certificate', async () => {
    const encoder = ffmpegPublish(`rtmps://127.0.0.1:${ingest.rtmpsPort}/live/${STREAM_KEY}`, { seconds: 5 });
    await waitFor('publishing', async () =>
      (await ingest.status()).publisher?.transport === 'rtmps' ? true : undefined,
    );
    const streams = await ffprobeStreams(
      `rtmps://127.0.0.1:${ingest.rtmpsPort}/live/stream?token=${PLAY_TOKEN}`,
    );
    assert.deepEqual(streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    assert.equal((await encoder.exit(15_000)).code, 0, encoder.stderr);
    const metrics = await ingest.metrics();
    assert.ok(metrics.get('livestream_ingest_received_bytes_total', { transport: 'rtmps' }) > 100_000);
  });

  test('a renewed certificate (cert-manager rotating the Secret) is served without a restart', async () => {
    const served = async () => {
      // stdin is /dev/null: s_client prints the served certificate, reads EOF and disconnects.
      const client = new Proc('openssl', ['s_client', '-connect', `127.0.0.1:${ingest.rtmpsPort}`]);
      await client.exit(10_000).catch(() => client.stop());
      return /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(client.stdout)?.[0];
    };
    const before = await served();
    assert.ok(before);
    await selfSignedCert(ingest.dir); // overwrites tls.crt and tls.key in place
    const renewed = readFileSync(ingest.tlsFiles!.cert, 'utf8').trim();
    await waitFor('the reload', async () =>
      (await ingest.metrics()).get('livestream_ingest_secret_reloads_total', {
        secret: 'tls_certificate',
        result: 'changed',
      }) === 1
        ? true
        : undefined,
    );
    const after = await served();
    assert.notEqual(after, before);
    assert.equal(after, renewed);
  });

  test('the key and token never reach the logs', () => {
    const output = ingest.proc.stdout + ingest.proc.stderr;
    assert.ok(output.includes('publish started'));
    assert.equal(output.includes(STREAM_KEY), false);
    assert.equal(output.includes(PLAY_TOKEN), false);
    for (const line of ingest.logs())
      assert.ok(typeof line.ts === 'string' && typeof line.level === 'string', JSON.stringify(line));
  });
});
