// Ladder cost per x264 preset: the arguments livestream-transcoder builds (one ffmpeg, decode once,
// split, scale, encode) for the architecture's default ladder (1080p 5M, 720p 3M, 480p 1.5M, 360p
// 0.8M) over a 1080p30 test pattern read from a file as fast as ffmpeg can, reported as CPU cores
// needed per real-time stream (CPU seconds / content seconds) and the speed reached on this machine.
// Usage: node --import tsx bench/transcoder-presets.ts [--seconds N] [--presets a,b,c]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../transcoder/config.js';
import { buildFfmpegArgs } from '../transcoder/ffmpeg/args.js';
import { chooseEncoder } from '../transcoder/ffmpeg/encoders.js';
import { probe } from '../transcoder/ffmpeg/probe.js';
import { machine } from './transcoder-lib.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const seconds = Number(arg('--seconds', '10'));
const presets = arg('--presets', 'ultrafast,superfast,veryfast').split(',');

function timed(args: string[], cwd: string): { user: number; system: number; wall: number } {
  const res = spawnSync('/usr/bin/time', ['-f', 'TIME %U %S %e', 'nice', 'ffmpeg', ...args], {
    cwd,
    encoding: 'utf8',
  });
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(res.stderr);
  if (res.status !== 0 || !m) throw new Error(`ffmpeg failed: ${res.stderr.slice(-2000)}`);
  return { user: Number(m[1]), system: Number(m[2]), wall: Number(m[3]) };
}

async function main(): Promise<void> {
  console.log(`machine: ${machine()}`);
  const dir = mkdtempSync(join(tmpdir(), 'lso-presets-'));
  const source = join(dir, 'source.flv');
  // A 1080p30 source as an encoder would send it (high-bitrate H.264 + AAC, 1 s keyframes).
  const made = spawnSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=1920x1080:rate=30:duration=${seconds}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-b:v',
    '8M',
    '-g',
    '30',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '160k',
    '-f',
    'flv',
    source,
  ]);
  if (made.status !== 0) throw new Error(made.stderr.toString());
  const decode = timed(['-hide_banner', '-loglevel', 'error', '-i', source, '-f', 'null', '-'], dir);
  console.log(
    `decoding the source alone: ${((decode.user + decode.system) / seconds).toFixed(2)} cores per real-time stream`,
  );
  for (const preset of presets) {
    const s = validateConfig(
      {
        stream: { namespace: 'bench', name: 'presets' },
        ingest: {
          pullUrl: 'rtmp://unused/live/stream',
          statusUrl: 'http://unused/status',
          playTokenFile: '/unused',
        },
        accelerator: 'cpu',
        ladder: {
          codec: 'h264',
          gopSeconds: 2,
          renditions: [
            { name: '1080p', width: 1920, height: 1080, videoBitrate: 5_000_000, audioBitrate: 192_000 },
            { name: '720p', width: 1280, height: 720, videoBitrate: 3_000_000, audioBitrate: 128_000 },
            { name: '480p', width: 854, height: 480, videoBitrate: 1_500_000, audioBitrate: 128_000 },
            { name: '360p', width: 640, height: 360, videoBitrate: 800_000, audioBitrate: 96_000 },
          ],
        },
        tuning: { x264: { preset, tune: 'zerolatency' } },
        output: { directory: dir, segmentSeconds: 2, playlistSize: 6 },
      },
      'bench',
    );
    const choice = chooseEncoder(s, await probe(s));
    if (!choice.ok) throw new Error(choice.reason);
    const out = join(dir, preset);
    mkdirSync(out);
    const job = buildFfmpegArgs(s, choice.plan, { url: source, sourceFps: 30 });
    const args = job.args
      .filter((a, i, all) => a !== '-rw_timeout' && all[i - 1] !== '-rw_timeout')
      .map((a) => (a === 'pipe:1' ? '/dev/null' : a));
    const t = timed(args, out);
    const cores = (t.user + t.system) / seconds;
    console.log(
      `preset ${preset}: ${cores.toFixed(2)} cores per real-time 4-rung 1080p30 ladder (${(t.user + t.system).toFixed(1)} s CPU for ${seconds} s; ${(seconds / t.wall).toFixed(2)}x real time on this machine)`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
}

await main();
