// CPU cost of the supervisor: livestream-transcoder (node + its ffmpeg) against the same ffmpeg
// command run bare, side by side in one run, both pulling the same live stream from one ingest.
// The ratio (node + ffmpeg) / bare ffmpeg is measured over a steady window after both encode.
// Usage: node --import tsx bench/transcoder-overhead.ts [--seconds N] [--ladder small|medium]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  Ingest,
  PLAY_TOKEN,
  Proc,
  Transcoder,
  children,
  cpuSeconds,
  ffmpegPublish,
  machine,
  sleep,
  smallLadder,
  stopAll,
  waitFor,
  option,
} from './transcoder-lib.js';

const seconds = Number(option('--seconds', '60'));
// small: 360p + 180p from a 360p source (~0.2 cores, the worst case for the ratio);
// medium: 720p + 480p + 360p from a 720p30 source.
const ladder = option('--ladder', 'small');

async function main(): Promise<void> {
  console.log(`machine: ${machine()}; ladder ${ladder}`);
  const ingest = await new Ingest().start();
  const medium = ladder === 'medium';
  ffmpegPublish(ingest.publishUrl(), {
    size: medium ? '1280x720' : '640x360',
    fps: medium ? 30 : 25,
    gop: medium ? 30 : 25,
    seconds: seconds + 120,
  });
  const config = smallLadder(ingest, '');
  if (medium)
    config.ladder.renditions = [
      { name: '720p', width: 1280, height: 720, videoBitrate: 2_500_000, audioBitrate: 128_000 },
      { name: '480p', width: 854, height: 480, videoBitrate: 1_200_000, audioBitrate: 96_000 },
      { name: '360p', width: 640, height: 360, videoBitrate: 700_000, audioBitrate: 96_000 },
    ];
  const transcoder = await new Transcoder(config).start();
  await transcoder.waitLive();
  const started = transcoder.logs().find((l) => l.msg === 'starting ffmpeg') as { args: string[] };
  const args = started.args.map((a) => a.replace('token=[redacted]', `token=${PLAY_TOKEN}`));
  const bareDir = join(transcoder.dir, 'bare');
  mkdirSync(bareDir);
  const bare = new Proc('ffmpeg', args, { cwd: bareDir });
  await waitFor(
    'the bare ffmpeg to write segments',
    () => (bare.stdout.includes('frame=') ? true : undefined),
    30_000,
  );
  await sleep(5000); // both past their start-up

  // Sampled every second, per pid, so a restarted ffmpeg (a new pid) is counted too.
  const node = transcoder.proc.pid;
  const last = new Map<number, number>();
  const used = { node: 0, supervised: 0, bare: 0 };
  const sample = (count: boolean) => {
    const pids: [keyof typeof used, number][] = [
      ['node', node],
      ['bare', bare.pid],
      ...children(node).map((pid): [keyof typeof used, number] => ['supervised', pid]),
    ];
    for (const [kind, pid] of pids) {
      const now = cpuSeconds(pid);
      if (now === 0) continue; // exited: its last sample stands
      if (count && last.has(pid)) used[kind] += now - last.get(pid)!;
      last.set(pid, now);
    }
  };
  sample(false);
  for (let s = 0; s < seconds; s++) {
    await sleep(1000);
    sample(true);
  }
  const status = await transcoder.status();
  console.log(
    `over ${seconds} s: livestream-transcoder node ${used.node.toFixed(2)} s CPU + its ffmpeg ${used.supervised.toFixed(2)} s; bare ffmpeg ${used.bare.toFixed(2)} s`,
  );
  console.log(
    `ratio (node + ffmpeg) / bare = ${((used.node + used.supervised) / used.bare).toFixed(3)} (target <= 1.03); ffmpeg alone / bare = ${(used.supervised / used.bare).toFixed(3)}; node process ${(used.node / seconds).toFixed(4)} cores; restarts during the run: ${status.restarts} (${status.lastRestartReason ?? 'none'})`,
  );
  await bare.stop();
  await stopAll();
  await transcoder.stop();
  await ingest.stop();
  transcoder.remove();
}

await main();
process.exit(0);
