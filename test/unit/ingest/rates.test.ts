import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MediaRates } from '../../../ingest/stats/rates.js';

/** Feeds `seconds` of a synthetic stream: video at `fps` with a keyframe every `gop` frames, AAC at 48 kHz. */
function feed(
  rates: MediaRates,
  opts: {
    fps: number;
    gop: number;
    videoBytes: number;
    audioBytes: number;
    seconds: number;
    startMs?: number;
  },
) {
  const start = opts.startMs ?? 0;
  const frames = Math.round(opts.fps * opts.seconds);
  const audioFrames = Math.round((48000 / 1024) * opts.seconds);
  const events: [number, () => void][] = [];
  for (let i = 0; i < frames; i++) {
    const dtsMs = start + Math.round((i * 1000) / opts.fps);
    events.push([
      dtsMs,
      () =>
        rates.add({
          track: 'video',
          dtsMs,
          bytes: opts.videoBytes,
          frame: true,
          keyframe: i % opts.gop === 0,
        }),
    ]);
  }
  for (let i = 0; i < audioFrames; i++) {
    const dtsMs = start + Math.round((i * 1024 * 1000) / 48000);
    events.push([
      dtsMs,
      () => rates.add({ track: 'audio', dtsMs, bytes: opts.audioBytes, frame: true, keyframe: false }),
    ]);
  }
  events.sort((a, b) => a[0] - b[0]).forEach(([, add]) => add());
}

describe('media rates', () => {
  test('30 fps, 2 s GOP, 3 Mb/s video, 128 kb/s audio', () => {
    const rates = new MediaRates(5000);
    feed(rates, { fps: 30, gop: 60, videoBytes: 12500, audioBytes: 341, seconds: 10 });
    const s = rates.snapshot();
    assert.ok(Math.abs(s.framesPerSecond - 30) < 0.1, `fps ${s.framesPerSecond}`);
    assert.equal(s.keyframeIntervalSeconds, 2);
    assert.ok(Math.abs(s.videoBitsPerSecond - 3_000_000) < 15_000, `video ${s.videoBitsPerSecond}`);
    assert.ok(Math.abs(s.audioBitsPerSecond - 127_875) < 1_000, `audio ${s.audioBitsPerSecond}`);
  });

  test('29.97 fps is reported as such', () => {
    const rates = new MediaRates(5000);
    feed(rates, { fps: 30000 / 1001, gop: 60, videoBytes: 1000, audioBytes: 100, seconds: 8 });
    assert.ok(Math.abs(rates.snapshot().framesPerSecond - 29.97) < 0.05);
  });

  test('the window forgets the old rate', () => {
    const rates = new MediaRates(5000);
    feed(rates, { fps: 60, gop: 120, videoBytes: 1000, audioBytes: 100, seconds: 10 });
    feed(rates, { fps: 25, gop: 50, videoBytes: 1000, audioBytes: 100, seconds: 10, startMs: 10_000 });
    assert.ok(Math.abs(rates.snapshot().framesPerSecond - 25) < 0.1);
  });

  test('timestamps that jump back (encoder restart) start over instead of going negative', () => {
    const rates = new MediaRates(5000);
    feed(rates, { fps: 30, gop: 30, videoBytes: 1000, audioBytes: 100, seconds: 6, startMs: 100_000 });
    feed(rates, { fps: 30, gop: 30, videoBytes: 1000, audioBytes: 100, seconds: 3, startMs: 0 });
    const s = rates.snapshot();
    assert.ok(Math.abs(s.framesPerSecond - 30) < 0.2, `fps ${s.framesPerSecond}`);
    assert.ok(s.videoBitsPerSecond > 0);
  });

  test('nothing measured yet reads as zero and null', () => {
    assert.deepEqual(new MediaRates().snapshot(), {
      framesPerSecond: 0,
      keyframeIntervalSeconds: null,
      videoBitsPerSecond: 0,
      audioBitsPerSecond: 0,
    });
  });
});
