// A second, independent RTMP client implementation: GStreamer's rtmp2sink (Debian's
// gstreamer1.0-plugins-bad) with x264enc (-ugly) and voaacenc publishes with the stream key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ffmpegPull, ffprobeStreams, Ingest, Proc, STREAM_KEY, stopAll, waitFor } from './harness.js';

describe('GStreamer rtmp2sink as the encoder', () => {
  let ingest: Ingest;
  before(async () => {
    ingest = await new Ingest().start();
  });
  after(async () => {
    await stopAll();
    await ingest?.stop();
  });

  test('publishes H.264/AAC with the stream key; the token pull decodes it cleanly', async () => {
    const pipeline = [
      'videotestsrc is-live=true pattern=ball',
      'video/x-raw,width=320,height=240,framerate=25/1,format=I420',
      'x264enc tune=zerolatency speed-preset=ultrafast key-int-max=50',
      'h264parse',
      'queue',
      'flvmux name=mux streamable=true',
      `rtmp2sink location=rtmp://127.0.0.1:${ingest.rtmpPort}/live/${STREAM_KEY}`,
    ].join(' ! ');
    const audio =
      'audiotestsrc is-live=true ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2 ! voaacenc bitrate=96000 ! aacparse ! queue ! mux.';
    const gst = new Proc('gst-launch-1.0', ['-q', '-e', ...`${pipeline} ${audio}`.split(' ')]);
    await waitFor(
      'publishing',
      async () => ((await ingest.status()).video?.keyframeIntervalSeconds ? true : undefined),
      15_000,
    );

    const status = await ingest.status();
    assert.match(status.publisher?.encoder ?? '', /^GStreamer/);
    assert.deepEqual([status.video?.codec, status.video?.width, status.video?.height], ['h264', 320, 240]);
    const gop = status.video!.keyframeIntervalSeconds!;
    assert.ok(gop > 1.7 && gop < 2.3, `keyframe interval ${gop} s (50 frames at 25 fps, live timestamps)`);
    assert.deepEqual(
      [status.audio?.codec, status.audio?.sampleRateHz, status.audio?.channels],
      ['aac', 48000, 2],
    );

    const streams = await ffprobeStreams(ingest.pullUrl());
    assert.deepEqual(
      streams
        .filter((s) => s.codec_type !== 'subtitle')
        .map((s) => s.codec_name)
        .sort(),
      ['aac', 'h264'],
    );
    const puller = ffmpegPull(ingest.pullUrl(), { seconds: 3 });
    assert.equal((await puller.exit(15_000)).code, 0);
    // GStreamer's live audio timestamps (audiotestsrc through audioresample) jitter by a millisecond
    // under load, and ffmpeg 5.1 reports that at error level when muxing; anything else is a failure.
    const errors = puller.stderr
      .split('\n')
      .filter((l) => l.trim() && !/non monotonically increasing dts|Last message repeated/.test(l));
    assert.deepEqual(errors, []);

    gst.signal('SIGINT'); // -e: end of stream, then exit
    await gst.exit(10_000);
    await waitFor('unpublished', async () => ((await ingest.status()).publishing ? undefined : true));
    assert.equal((await ingest.status()).lastPublish?.reason, 'closed_by_peer');
  });
});
