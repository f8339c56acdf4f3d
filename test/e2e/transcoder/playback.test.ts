// ffmpeg encoder -> livestream-ingest -> livestream-transcoder -> HLS, all real programs:
//   - ffprobe finds every rendition with its size, codec and a bitrate in band; segments last their
//     target within 10 %; keyframes fall at the same instants in every rendition;
//   - headless Chromium plays the origin's preview page (hls.js): time advances >= 5 s with no fatal
//     error, and a forced rendition switch plays on;
//   - the encoder stops and comes back: the output resumes by itself after an EXT-X-DISCONTINUITY,
//     and the same player continues;
//   - SIGTERM: ffmpeg finishes its files (no temporary file left, every listed segment exists).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DELETE_THRESHOLD } from '../../../transcoder/ffmpeg/args.js';
import {
  CHROMIUM_FLAGS,
  Ingest,
  PLAY_TOKEN,
  Transcoder,
  ffmpegPublish,
  keyframeTimes,
  mediaPlaylist,
  probeStreams,
  smallLadder,
  stopAll,
  waitFor,
  type Proc,
} from './harness.js';

// The page's globals, as the preview page defines them (the project's TypeScript has no DOM types).
declare const window: unknown;
declare const document: { querySelector(selector: string): { currentTime: number } | null };

interface PreviewState {
  time: number;
  errors: string[];
  fatal: string | null;
  level: number;
  levels: number;
  switches: number[];
  /** Discontinuity counter of the fragment on screen (hls.js `frag.cc`). */
  cc: number;
}

const playerState = (page: Page): Promise<PreviewState> =>
  page.evaluate(() => {
    const p = (
      window as unknown as {
        preview: {
          errors: string[];
          fatal: string | null;
          levelSwitches: number[];
          playing: { cc: number } | null;
          hls: { currentLevel: number; levels: unknown[] } | null;
        };
      }
    ).preview;
    const video = document.querySelector('video')!;
    return {
      time: video.currentTime,
      errors: p.errors,
      fatal: p.fatal,
      level: p.hls?.currentLevel ?? -1,
      levels: p.hls?.levels.length ?? 0,
      switches: p.levelSwitches,
      cc: p.playing?.cc ?? 0,
    };
  });

describe('transcoder: ingest to HLS to a browser', () => {
  const ingest = new Ingest();
  let transcoder: Transcoder;
  let publisher: Proc;
  let browser: Browser | undefined;
  let page: Page;
  const publish = () =>
    ffmpegPublish(ingest.publishUrl(), { size: '640x360', fps: 25, gop: 25, seconds: 300 });

  before(async () => {
    await ingest.start();
    transcoder = await new Transcoder(smallLadder(ingest, '')).start();
    publisher = publish();
    await transcoder.waitLive();
  });

  after(async () => {
    await browser?.close();
    await stopAll();
    await transcoder?.stop();
    await ingest.stop();
    transcoder?.remove();
  });

  test('the master playlist lists every rendition with BANDWIDTH, RESOLUTION, CODECS and FRAME-RATE', async () => {
    const master = await transcoder.text('/master.m3u8');
    const variants = [...master.matchAll(/#EXT-X-STREAM-INF:(.*)\n(.*)/g)].map((m) => ({
      attrs: m[1]!,
      uri: m[2]!,
    }));
    assert.deepEqual(
      variants.map((v) => v.uri),
      ['360p/index.m3u8', '180p/index.m3u8'],
    );
    assert.match(
      variants[0]!.attrs,
      /BANDWIDTH=\d+,RESOLUTION=640x360,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2",FRAME-RATE=25\.000/,
    );
    assert.match(
      variants[1]!.attrs,
      /BANDWIDTH=\d+,RESOLUTION=320x180,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2",FRAME-RATE=25\.000/,
    );
    assert.equal(await transcoder.text('/hls/master.m3u8'), master, '/hls/ serves the same files');
  });

  test('ffprobe finds each rendition with its size, codec and a bitrate within its band', async () => {
    await waitFor(
      '4 segments in each playlist',
      async () => mediaPlaylist(await transcoder.text('/180p/index.m3u8')).segments.length >= 4,
      20_000,
    );
    for (const [name, width, height, target] of [
      ['360p', 640, 360, 796_000],
      ['180p', 320, 180, 314_000],
    ] as const) {
      const playlist = mediaPlaylist(await transcoder.text(`/${name}/index.m3u8`));
      const init = await transcoder.bytes(`/${name}/${playlist.map}`);
      const segments = playlist.segments.slice(-3);
      const bodies = await Promise.all(segments.map((s) => transcoder.bytes(`/${name}/${s.uri}`)));
      const file = join(transcoder.dir, `${name}.mp4`);
      writeFileSync(file, Buffer.concat([init, ...bodies]));
      const streams = await probeStreams(file);
      const video = streams.find((s) => s.codec_type === 'video')!;
      const audio = streams.find((s) => s.codec_type === 'audio')!;
      assert.deepEqual([video.codec_name, video.width, video.height], ['h264', width, height]);
      assert.deepEqual([audio.codec_name, audio.sample_rate], ['aac', '48000']);
      const seconds = segments.reduce((sum, s) => sum + s.duration, 0);
      const bitrate = (bodies.reduce((sum, b) => sum + b.length, 0) * 8) / seconds;
      // A test pattern compresses well: the encoder may stay below its target, never far above.
      assert.ok(
        bitrate > target * 0.4 && bitrate < target * 1.25,
        `${name}: ${Math.round(bitrate)} b/s for a target of ${target}`,
      );
      const status = await transcoder.status();
      const rendition = status.renditions.find((r) => r.name === name)!;
      assert.ok(
        rendition.bitsPerSecond! > target * 0.4 && rendition.bitsPerSecond! < target * 1.25,
        `status says ${rendition.bitsPerSecond}`,
      );
    }
  });

  test('segments last their 1 s target within 10 %', async () => {
    for (const name of ['360p', '180p']) {
      const { segments } = mediaPlaylist(await transcoder.text(`/${name}/index.m3u8`));
      for (const s of segments)
        assert.ok(Math.abs(s.duration - 1) <= 0.1, `${name}/${s.uri}: ${s.duration} s`);
    }
  });

  test('keyframes fall at the same instants in every rendition, one at the start of each segment', async () => {
    const playlists = await Promise.all(
      ['360p', '180p'].map(async (n) => mediaPlaylist(await transcoder.text(`/${n}/index.m3u8`))),
    );
    const common = playlists[0]!.segments
      .map((s) => s.uri)
      .filter((u) => playlists[1]!.segments.some((s) => s.uri === u))
      .slice(-2);
    assert.ok(common.length === 2, 'both renditions list the same segment numbers');
    const times: { first: number; keyframes: number[] }[] = [];
    for (const [i, name] of ['360p', '180p'].entries()) {
      const init = await transcoder.bytes(`/${name}/${playlists[i]!.map}`);
      const bodies = await Promise.all(common.map((u) => transcoder.bytes(`/${name}/${u}`)));
      const file = join(transcoder.dir, `${name}-keys.mp4`);
      writeFileSync(file, Buffer.concat([init, ...bodies]));
      times.push(await keyframeTimes(file));
    }
    const [hd, sd] = times as [
      { first: number; keyframes: number[] },
      { first: number; keyframes: number[] },
    ];
    assert.equal(hd.keyframes[0], hd.first, 'the first frame of a segment is a keyframe');
    assert.equal(hd.keyframes.length, 2);
    assert.deepEqual(sd.keyframes, hd.keyframes);
  });

  test('Chromium plays the preview page with hls.js: 5 s with no fatal error, and a forced switch plays on', async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
    page = await browser.newPage();
    await page.goto(`${transcoder.origin}/`);
    const start = await waitFor(
      'playback to start',
      async () => {
        const s = await playerState(page);
        return s.time > 0.5 ? s : undefined;
      },
      30_000,
      250,
    );
    const played = await waitFor(
      '5 s of playback',
      async () => {
        const s = await playerState(page);
        return s.time >= start.time + 5 ? s : undefined;
      },
      30_000,
      250,
    );
    assert.equal(played.fatal, null, played.errors.join(', '));
    assert.equal(played.levels, 2);
    const target = played.level === 1 ? 0 : 1;
    await page.evaluate((level) => {
      (window as unknown as { preview: { hls: { currentLevel: number } } }).preview.hls.currentLevel = level;
    }, target);
    const switched = await waitFor(
      'the forced switch',
      async () => {
        const s = await playerState(page);
        return s.switches.includes(target) ? s : undefined;
      },
      20_000,
      250,
    );
    const after = await waitFor(
      'playback after the switch',
      async () => {
        const s = await playerState(page);
        return s.time >= switched.time + 3 ? s : undefined;
      },
      20_000,
      250,
    );
    assert.equal(after.level, target);
    assert.equal(after.fatal, null, after.errors.join(', '));
  });

  test('the encoder stops and comes back: output resumes by itself after a discontinuity, and the player continues', async () => {
    const before = await transcoder.status();
    await publisher.stop();
    const waiting = await waitFor(
      'the transcoder to wait for a publisher',
      async () => {
        const s = await transcoder.status();
        return s.state === 'WaitingForPublisher' && s.restarts > before.restarts ? s : undefined;
      },
      30_000,
      250,
    );
    assert.equal(waiting.lastRestartReason, 'input_ended');
    assert.equal(waiting.live, false);
    const pausedAt = (await playerState(page)).time;

    publisher = publish();
    await transcoder.waitLive();
    const playlist = await waitFor(
      'the discontinuity in the playlist',
      async () => {
        const p = mediaPlaylist(await transcoder.text('/360p/index.m3u8'));
        return p.segments.some((s) => s.discontinuity) ? p : undefined;
      },
      20_000,
      250,
    );
    const first = playlist.segments.findIndex((s) => s.discontinuity);
    assert.ok(first > 0, 'segments from before the pause precede the discontinuity');
    const numbers = playlist.segments.map((s) => Number(/(\d+)/.exec(s.uri)![1]));
    assert.deepEqual(
      numbers,
      numbers.map((_, i) => numbers[0]! + i),
      'numbering continues across the restart',
    );

    const across = await waitFor(
      'the player to show a fragment from after the discontinuity',
      async () => {
        const s = await playerState(page);
        return s.cc >= 1 ? s : undefined;
      },
      45_000,
      250,
    );
    assert.ok(across.time > pausedAt);
    const resumed = await waitFor(
      'the player to play on after the discontinuity',
      async () => {
        const s = await playerState(page);
        return s.time >= across.time + 3 ? s : undefined;
      },
      45_000,
      250,
    );
    assert.equal(resumed.fatal, null, resumed.errors.join(', '));
  });

  test('metrics and status show the run, the restart and the origin traffic, never the token', async () => {
    const m = await transcoder.metrics();
    assert.equal(m.get('livestream_transcoder_live'), 1);
    assert.equal(m.get('livestream_transcoder_state', { state: 'Encoding' }), 1);
    assert.equal(m.get('livestream_transcoder_restarts_total', { reason: 'input_ended' }), 1);
    assert.ok(m.get('livestream_transcoder_segments_total', { rendition: '180p' }) > 10);
    assert.ok(m.get('livestream_transcoder_origin_requests_total', { kind: 'segment', code: '200' }) > 5);
    assert.ok(m.get('livestream_transcoder_origin_requests_total', { kind: 'player', code: '200' }) >= 1);
    assert.equal(
      m.get('livestream_transcoder_info', {
        requested_accelerator: 'cpu',
        accelerator: 'cpu',
        api: 'software',
        encoder: 'libx264',
        decode: 'software',
        ffmpeg_version: (await transcoder.status()).ffmpegVersion!,
      }),
      1,
    );
    assert.ok(!JSON.stringify(await transcoder.status()).includes(PLAY_TOKEN));
    assert.ok(!transcoder.proc.stdout.includes(PLAY_TOKEN) && !transcoder.proc.stderr.includes(PLAY_TOKEN));
  });

  test('SIGTERM ends ffmpeg cleanly: no temporary file left, every listed segment exists', async () => {
    await transcoder.stop();
    assert.equal(transcoder.proc.exitInfo?.code, 0, transcoder.proc.stdout.slice(-1500));
    const stopped = transcoder.logs().find((l) => l.msg === 'ffmpeg stopped for shutdown');
    assert.ok(stopped, 'the supervisor stopped ffmpeg');
    for (const name of ['360p', '180p']) {
      const dir = join(transcoder.output, name);
      assert.deepEqual(
        readdirSync(dir).filter((f) => f.endsWith('.tmp')),
        [],
      );
      const { segments } = mediaPlaylist(readFileSync(join(dir, 'index.m3u8'), 'utf8'));
      for (const s of segments) assert.ok(existsSync(join(dir, s.uri)), `${name}/${s.uri}`);
      // After the restart too, only the window is on disk: listed + kept past the window + init + playlist.
      const files = readdirSync(dir);
      assert.ok(
        files.length <= transcoder.config.output.playlistSize + DELETE_THRESHOLD + 2,
        files.join(' '),
      );
    }
  });
});
