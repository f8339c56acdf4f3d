// Transcoder latency, with the real programs on loopback (1 s segments, GOP 1 s, the small CPU ladder):
//   1. publish to first playable segment: from the encoder's spawn to the moment the master playlist
//      and every rendition playlist list a segment on the origin (target <= segment length + 1 s);
//   2. glass-to-glass, estimated: (PROGRAM-DATE-TIME of the first segment - the encoder's spawn time:
//      capture to packaging, conservative by the encoder's own start-up) + (wall clock - hls.js
//      `playingDate` in headless Chromium: packaging to the picture on screen). Target <= 4 s.
// Usage: node --import tsx bench/transcoder-latency.ts [--runs N]
import { chromium } from 'playwright-core';
import {
  CHROMIUM_FLAGS,
  Ingest,
  Transcoder,
  ffmpegPublish,
  machine,
  median,
  mediaPlaylist,
  sleep,
  smallLadder,
  stopAll,
  waitFor,
  option,
} from './transcoder-lib.js';

const runs = Number(option('--runs', '3'));

async function firstSegmentRun(): Promise<{
  firstSegmentMs: number;
  capturetoPdtMs: number;
  transcoder: Transcoder;
  ingest: Ingest;
}> {
  const ingest = await new Ingest().start();
  const transcoder = await new Transcoder(smallLadder(ingest, '')).start();
  await waitFor(
    'the transcoder to wait for a publisher',
    async () => (await transcoder.status()).state === 'WaitingForPublisher',
  );
  const spawnedAt = Date.now();
  ffmpegPublish(ingest.publishUrl(), { size: '640x360', fps: 25, gop: 25, seconds: 120 });
  const names = transcoder.config.ladder.renditions.map((r) => r.name);
  const playable = await waitFor(
    'a segment in every playlist',
    async () => {
      const master = await fetch(`${transcoder.origin}/master.m3u8`);
      if (!master.ok) return undefined;
      const lists = await Promise.all(
        names.map(async (n) =>
          fetch(`${transcoder.origin}/${n}/index.m3u8`).then((r) => (r.ok ? r.text() : '')),
        ),
      );
      const parsed = lists.map((t) => mediaPlaylist(t));
      return parsed.every((p) => p.segments.length > 0) ? { at: Date.now(), text: lists[0]! } : undefined;
    },
    30_000,
    20,
  );
  const pdt = Date.parse(/#EXT-X-PROGRAM-DATE-TIME:(\S+)/.exec(playable.text)![1]!.replace(/\+0000$/, 'Z'));
  return { firstSegmentMs: playable.at - spawnedAt, capturetoPdtMs: pdt - spawnedAt, transcoder, ingest };
}

async function main(): Promise<void> {
  console.log(`machine: ${machine()}`);
  const first: number[] = [];
  const toPdt: number[] = [];
  const player: number[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await firstSegmentRun();
    first.push(run.firstSegmentMs);
    toPdt.push(run.capturetoPdtMs);
    // The player side: how far behind the wall clock the picture on screen is, by its PDT.
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
    const page = await browser.newPage();
    await page.goto(`${run.transcoder.origin}/`);
    await waitFor(
      'playback',
      () =>
        page.evaluate(
          () =>
            (
              globalThis as unknown as { document: { querySelector(s: string): { currentTime: number } } }
            ).document.querySelector('video').currentTime > 3,
        ),
      30_000,
      200,
    );
    const samples: number[] = [];
    for (let s = 0; s < 20; s++) {
      const behind = await page.evaluate(() => {
        const hls = (globalThis as unknown as { preview: { hls: { playingDate: Date | null } } }).preview.hls;
        return hls.playingDate ? Date.now() - hls.playingDate.getTime() : null;
      });
      if (behind !== null) samples.push(behind);
      await sleep(500);
    }
    player.push(median(samples));
    await browser.close();
    await stopAll();
    await run.transcoder.stop();
    await run.ingest.stop();
    run.transcoder.remove();
    console.log(
      `run ${i + 1}: first playable segment ${first[i]} ms after publish; capture->PDT ${toPdt[i]} ms; PDT->screen ${Math.round(player[i]!)} ms; glass-to-glass ~${Math.round(toPdt[i]! + player[i]!)} ms`,
    );
  }
  const g2g = toPdt.map((v, i) => v + player[i]!);
  console.log(
    `median of ${runs}: first playable segment ${median(first)} ms (target <= 2000 ms); glass-to-glass ~${Math.round(median(g2g))} ms (target <= 4000 ms)`,
  );
}

await main();
process.exit(0);
