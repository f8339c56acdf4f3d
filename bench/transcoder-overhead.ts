// CPU cost of the supervisor: livestream-transcoder (node + its ffmpeg) against the same ffmpeg
// command run bare, side by side in one run, both pulling the same live stream from one ingest.
// The ratio (node + ffmpeg) / bare ffmpeg is measured over a steady window after both encode.
// Usage: node --import tsx bench/transcoder-overhead.ts [--seconds N]
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

async function main(): Promise<void> {
  console.log(`machine: ${machine()}`);
  const ingest = await new Ingest().start();
  ffmpegPublish(ingest.publishUrl(), { size: '640x360', fps: 25, gop: 25, seconds: seconds + 120 });
  const transcoder = await new Transcoder(smallLadder(ingest, '')).start();
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

  const node = transcoder.proc.pid;
  const supervised = children(node).find((pid) => pid !== bare.pid)!;
  const before = { node: cpuSeconds(node), supervised: cpuSeconds(supervised), bare: cpuSeconds(bare.pid) };
  await sleep(seconds * 1000);
  const after = { node: cpuSeconds(node), supervised: cpuSeconds(supervised), bare: cpuSeconds(bare.pid) };
  const used = {
    node: after.node - before.node,
    supervised: after.supervised - before.supervised,
    bare: after.bare - before.bare,
  };
  const status = await transcoder.status();
  console.log(
    `over ${seconds} s: livestream-transcoder node ${used.node.toFixed(2)} s CPU + its ffmpeg ${used.supervised.toFixed(2)} s; bare ffmpeg ${used.bare.toFixed(2)} s`,
  );
  console.log(
    `ratio (node + ffmpeg) / bare = ${((used.node + used.supervised) / used.bare).toFixed(3)} (target <= 1.03); ffmpeg alone / bare = ${(used.supervised / used.bare).toFixed(3)}; node process ${(used.node / seconds).toFixed(4)} cores; restarts during the run: ${status.restarts}`,
  );
  await bare.stop();
  await stopAll();
  await transcoder.stop();
  await ingest.stop();
  transcoder.remove();
}

await main();
process.exit(0);
