// The output folder stays bounded while the segment window wraps many times (60 s of 1 s segments
// with a 3-segment playlist: the window turns over a dozen times), and a stalled ffmpeg is found
// and replaced. The 10-minute version of the bounded check is a soak command in docs/benchmarks.md
// (TRANSCODER_SOAK_SECONDS=600 runs this file for that long).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DELETE_THRESHOLD } from '../../../transcoder/ffmpeg/args.js';
import { Ingest, Transcoder, ffmpegPublish, sleep, smallLadder, stopAll, waitFor } from './harness.js';

const SECONDS = Number(process.env.TRANSCODER_SOAK_SECONDS ?? 60);

function folderFigures(dir: string): { files: number; bytes: number; newest: number } {
  let files = 0;
  let bytes = 0;
  let newest = 0;
  for (const name of readdirSync(dir)) {
    try {
      const st = statSync(join(dir, name));
      files += 1;
      bytes += st.size;
      const n = /seg_(\d+)\.m4s$/.exec(name);
      if (n) newest = Math.max(newest, Number(n[1]));
    } catch {
      // deleted between readdir and stat
    }
  }
  return { files, bytes, newest };
}

describe('transcoder: bounded output and stall recovery', () => {
  const ingest = new Ingest();
  let transcoder: Transcoder;

  before(async () => {
    await ingest.start();
    const config = smallLadder(ingest, '');
    config.output.playlistSize = 3;
    transcoder = await new Transcoder(config).start();
    ffmpegPublish(ingest.publishUrl(), { size: '640x360', fps: 25, gop: 25, seconds: SECONDS + 60 });
    await transcoder.waitLive();
  });

  after(async () => {
    await stopAll();
    await transcoder?.stop();
    await ingest.stop();
    transcoder?.remove();
  });

  test(`the output folder stays bounded over ${SECONDS} s of 1 s segments`, async () => {
    const renditions = transcoder.config.ladder.renditions;
    // Per rendition: the playlist window, the segments kept after it, one being written, init, playlist.
    const maxFiles = transcoder.config.output.playlistSize + DELETE_THRESHOLD + 1 + 2;
    const segmentBytes = (r: (typeof renditions)[number]) => ((r.videoBitrate + r.audioBitrate) / 8) * 1.5;
    const maxBytes = renditions.reduce((sum, r) => sum + maxFiles * segmentBytes(r), 0);
    let peakFiles = 0;
    let peakBytes = 0;
    let first = 0;
    let last = 0;
    const end = Date.now() + SECONDS * 1000;
    while (Date.now() < end) {
      let bytes = 0;
      for (const r of renditions) {
        const f = folderFigures(join(transcoder.output, r.name));
        peakFiles = Math.max(peakFiles, f.files);
        bytes += f.bytes;
        if (r.name === renditions[0]!.name) {
          first ||= f.newest;
          last = f.newest;
        }
      }
      peakBytes = Math.max(peakBytes, bytes);
      await sleep(1000);
    }
    const written = last - first;
    const { restarts, lastRestartReason } = await transcoder.status();
    // A restart (a loaded machine can stall a run) does not change the bound: the window continues.
    console.log(
      `bounded output: ${written} segments written in ${SECONDS} s, peak ${peakFiles} files per rendition, peak ${peakBytes} bytes, ${restarts} restarts (${lastRestartReason ?? 'none'})`,
    );
    assert.ok(
      written >= SECONDS * 0.5,
      `${written} segments in ${SECONDS} s: the window turned over many times`,
    );
    assert.ok(peakFiles <= maxFiles, `peak ${peakFiles} files in a rendition folder (at most ${maxFiles})`);
    assert.ok(peakBytes <= maxBytes, `peak ${peakBytes} bytes (at most ${Math.round(maxBytes)})`);
  });

  test('a stalled ffmpeg (SIGSTOP) is detected, restarted with reason "stalled", and the stream is live again', async () => {
    const ffmpegPid = Number(
      execFileSync('pgrep', ['-P', String(transcoder.proc.pid), 'ffmpeg'])
        .toString()
        .trim(),
    );
    assert.ok(ffmpegPid > 0);
    process.kill(ffmpegPid, 'SIGSTOP');
    const stallsBefore = (await transcoder.metrics()).get('livestream_transcoder_restarts_total', {
      reason: 'stalled',
    });
    const stalled = await waitFor(
      'the stall to be detected',
      async () => {
        const m = await transcoder.metrics();
        return m.get('livestream_transcoder_restarts_total', { reason: 'stalled' }) > stallsBefore
          ? m
          : undefined;
      },
      30_000,
      250,
    );
    assert.ok(stalled);
    const log = transcoder
      .logs()
      .filter((l) => l.msg === 'ffmpeg stalled; restarting it')
      .pop();
    assert.match(String(log?.detail), /^no progress for \d+ s$/);
    const status = await transcoder.waitLive(30_000);
    assert.equal(status.lastRestartReason, 'stalled');
    assert.equal(status.state, 'Encoding');
    assert.throws(() => process.kill(ffmpegPid, 0), 'the stalled ffmpeg was ended (SIGKILL after the grace)');
  });
});
