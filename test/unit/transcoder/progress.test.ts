import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProgressParser, toProgress, type Progress } from '../../../transcoder/ffmpeg/progress.js';

const block = `frame=201
fps=24.98
stream_0_0_q=23.0
stream_0_2_q=20.0
bitrate=N/A
total_size=N/A
out_time_us=8040000
out_time_ms=8040000
out_time=00:00:08.040000
dup_frames=2
drop_frames=1
speed=1.01x
progress=continue
`;

describe('ffmpeg -progress parsing', () => {
  test('a block becomes frame, fps, speed, dropped and duplicated frames and output time', () => {
    const seen: Progress[] = [];
    new ProgressParser((p) => seen.push(p)).push(block);
    assert.deepEqual(seen, [
      {
        frame: 201,
        fps: 24.98,
        speed: 1.01,
        droppedFrames: 1,
        duplicatedFrames: 2,
        outTimeUs: 8040000,
        bitrateKbps: null,
        end: false,
      },
    ]);
  });

  test('blocks split anywhere across chunks parse the same as whole ones', () => {
    const text = block + block.replace('progress=continue', 'progress=end');
    for (let cut = 1; cut < text.length; cut += 7) {
      const seen: Progress[] = [];
      const parser = new ProgressParser((p) => seen.push(p));
      parser.push(text.slice(0, cut));
      parser.push(text.slice(cut));
      assert.equal(seen.length, 2, `cut at ${cut}`);
      assert.equal(seen[1]!.end, true);
      assert.equal(seen[0]!.frame, 201);
    }
  });

  test('N/A and missing values are null or zero, never NaN', () => {
    assert.deepEqual(
      toProgress({ frame: '0', fps: '0.00', speed: 'N/A', out_time_us: 'N/A', progress: 'continue' }),
      {
        frame: 0,
        fps: 0,
        speed: null,
        droppedFrames: 0,
        duplicatedFrames: 0,
        outTimeUs: null,
        bitrateKbps: null,
        end: false,
      },
    );
    assert.equal(toProgress({ bitrate: '2345.6kbits/s' }).bitrateKbps, 2345.6);
  });

  test('Windows line endings and stray lines are tolerated', () => {
    const seen: Progress[] = [];
    new ProgressParser((p) => seen.push(p)).push('garbage\r\nframe=5\r\nspeed=0.5x\r\nprogress=continue\r\n');
    assert.equal(seen[0]!.frame, 5);
    assert.equal(seen[0]!.speed, 0.5);
  });
});
