import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { layout } from '../../../transcoder/ffmpeg/args.js';
import { lastSegmentDuration, pruneUnlisted, SegmentWatcher } from '../../../transcoder/output/segments.js';
import { buildStatus } from '../../../transcoder/report.js';
import { Backoff } from '../../../transcoder/supervisor/backoff.js';
import { normaliseFps } from '../../../transcoder/supervisor/ingest.js';
import { SpeedWindow } from '../../../transcoder/supervisor/speed.js';
import { stallReason } from '../../../transcoder/supervisor/stall.js';
import { settings } from './fixtures.js';

const rules = { noProgressMs: 10_000, startupGraceMs: 15_000, slowMs: 20_000 };

describe('stall rules', () => {
  const cases: [string, Parameters<typeof stallReason>[0], string | undefined][] = [
    [
      'a run still probing its input within the start allowance is not stalled',
      { nowMs: 20_000, startedAtMs: 0, lastFrameAtMs: undefined, slowSinceMs: undefined },
      undefined,
    ],
    [
      'a run with no frame after the start allowance is stalled',
      { nowMs: 26_000, startedAtMs: 0, lastFrameAtMs: undefined, slowSinceMs: undefined },
      'no frame encoded 26 s after ffmpeg started',
    ],
    [
      'a run whose last frame is older than noProgress is stalled',
      { nowMs: 60_000, startedAtMs: 0, lastFrameAtMs: 49_000, slowSinceMs: undefined },
      'no progress for 11 s',
    ],
    [
      'a run slower than real time for a moment is not stalled',
      { nowMs: 60_000, startedAtMs: 0, lastFrameAtMs: 59_900, slowSinceMs: 50_000 },
      undefined,
    ],
    [
      'a run slower than real time for the whole allowance is stalled',
      { nowMs: 60_000, startedAtMs: 0, lastFrameAtMs: 59_900, slowSinceMs: 39_000 },
      'slower than 0.95x real time for 21 s',
    ],
  ];
  for (const [name, input, expected] of cases)
    test(name, () => assert.equal(stallReason(input, rules), expected));
});

describe('windowed speed', () => {
  test('is output time gained over wall time in the window, not the cumulative figure', () => {
    const w = new SpeedWindow(10_000);
    for (let t = 0; t <= 60_000; t += 500) w.add(t, t * 1000); // real time for a minute
    assert.equal(w.speed(), 1);
    for (let t = 60_500; t <= 70_000; t += 500) w.add(t, 60_000_000 + (t - 60_000) * 500); // then half speed
    assert.ok(Math.abs(w.speed()! - 0.5) < 0.06, String(w.speed()));
  });

  test('is unknown until the samples span half the window', () => {
    const w = new SpeedWindow(10_000);
    w.add(0, 0);
    w.add(4000, 4_000_000);
    assert.equal(w.speed(), null);
  });
});

describe('restart backoff', () => {
  test('doubles from the initial delay up to the maximum, and starts over after a reset', () => {
    const b = new Backoff(500, 3000);
    assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next()], [500, 1000, 2000, 3000, 3000]);
    b.reset();
    assert.equal(b.next(), 500);
  });
});

describe('source frame rate from the ingest', () => {
  test('snaps near-whole measurements (29.97 counts as 30), keeps fractional rates, ignores nonsense', () => {
    assert.equal(normaliseFps(24.97), 25);
    assert.equal(normaliseFps(29.97), 30);
    assert.equal(normaliseFps(12.5), 12.5);
    assert.equal(normaliseFps(0), null);
    assert.equal(normaliseFps(undefined), null);
  });
});

describe('segment figures', () => {
  test('the newest segment duration comes from the last EXTINF', () => {
    assert.equal(lastSegmentDuration('#EXTINF:1.000000,\na.m4s\n#EXTINF:0.960000,\nb.m4s\n'), 0.96);
    assert.equal(lastSegmentDuration('#EXTM3U\n'), null);
  });

  test('age, bitrate and count are measured from the files, and the status marks fresh renditions live', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lso-segments-'));
    try {
      const s = settings((c) => {
        c.output.directory = dir;
        c.output.segmentSeconds = 1;
      });
      const l = layout(s, 30);
      const now = Date.now();
      mkdirSync(path.join(dir, '1080p'));
      mkdirSync(path.join(dir, '720p'));
      for (let n = 10; n <= 14; n++) {
        const file = path.join(dir, '1080p', `seg_000${n}.m4s`);
        writeFileSync(file, Buffer.alloc(n === 14 ? 700_000 : 600_000));
        utimesSync(file, new Date(now - (15 - n) * 1000), new Date(now - (15 - n) * 1000));
      }
      const old = path.join(dir, '720p', 'seg_00003.m4s');
      writeFileSync(old, Buffer.alloc(10));
      utimesSync(old, new Date(now - 60_000), new Date(now - 60_000));
      writeFileSync(path.join(dir, '1080p', 'index.m3u8'), '#EXTINF:1.000000,\nseg_00014.m4s\n');
      const watcher = new SegmentWatcher(dir, 1);
      const [hd, sd, low] = watcher.scan(l, now);
      assert.ok(Math.abs(hd!.newestSegmentAgeSeconds! - 1) < 0.01);
      assert.equal(hd!.bitsPerSecond, Math.round(((600_000 * 2 + 700_000) * 8) / 3));
      assert.equal(hd!.segmentSeconds, 1);
      assert.equal(hd!.segmentsTotal, 5);
      assert.equal(hd!.targetBitsPerSecond, 5_192_000);
      assert.equal(low!.newestSegmentAgeSeconds, null);

      const file = path.join(dir, '1080p', 'seg_00015.m4s');
      writeFileSync(file, Buffer.alloc(10));
      assert.equal(watcher.scan(l, now)[0]!.segmentsTotal, 6);

      const status = buildStatus({
        settings: s,
        plan: null,
        ffmpegVersion: null,
        failure: null,
        notReadyReason: undefined,
        supervisor: {
          state: 'Encoding',
          encodingSince: now - 20_000,
          speed: 1,
          fps: 30,
          droppedFrames: 0,
          duplicatedFrames: 0,
          restarts: 0,
          lastRestartReason: null,
          stalled: false,
          lastError: null,
          layout: l,
        },
        figures: [hd!, sd!, low!],
      });
      assert.deepEqual(
        status.renditions.map((r) => r.state),
        ['Encoding', 'Stalled', 'Pending'],
      );
      assert.equal(status.live, false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('between runs, segments the playlist no longer lists and temporary files are removed; listed ones stay', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lso-prune-'));
    try {
      const s = settings((c) => (c.output.directory = dir));
      const l = layout(s, 30);
      mkdirSync(path.join(dir, '1080p'));
      for (const name of [
        'seg_00001.m4s',
        'seg_00002.m4s',
        'seg_00003.m4s',
        'seg_00004.m4s.tmp',
        'init_0.mp4',
      ])
        writeFileSync(path.join(dir, '1080p', name), 'x');
      writeFileSync(path.join(dir, '1080p', 'index.m3u8'), '#EXTM3U\n#EXTINF:2.0,\nseg_00003.m4s\n');
      assert.deepEqual(pruneUnlisted(dir, l).sort(), [
        '1080p/seg_00001.m4s',
        '1080p/seg_00002.m4s',
        '1080p/seg_00004.m4s.tmp',
      ]);
      assert.deepEqual(readdirSync(path.join(dir, '1080p')).sort(), [
        'index.m3u8',
        'init_0.mp4',
        'seg_00003.m4s',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
