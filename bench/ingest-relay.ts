// Benchmark: what relaying costs per stream, and how fast, for livestream-ingest against bare
// node-media-server 4.4.3 in the same run (the ratio is the cost of the hardening).
//
//   node --import tsx bench/ingest-relay.ts [--seconds 20] [--subscribers 1,4] [--publishers 1,8,32]
//
// "relay": one 720p30 3 Mb/s stream with 1 and 4 subscribers: server CPU (cores), peak RSS, and the
// send-to-arrival latency of every video message at the subscribers.
// "publishers": N concurrent streams with one subscriber each. livestream-ingest serves one stream
// per process by design (a second publisher is refused), so N streams are N ingest processes, as
// in a cluster; node-media-server carries all N in one process on N paths.
import { parseArgs } from 'node:util';
import {
  build,
  clip,
  machine,
  run,
  startBareNms,
  startIngests,
  type RunResult,
  type Server,
} from './ingest-lib.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    subscribers: { type: 'string', default: '1,4' },
    publishers: { type: 'string', default: '1,8,32' },
    json: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const subscriberCounts = values.subscribers!.split(',').map(Number).filter(Boolean);
const publisherCounts = values.publishers!.split(',').map(Number).filter(Boolean);

build();
const media = clip();
const results: RunResult[] = [];
console.error(`machine: ${machine()}`);
console.error(
  `clip: ${(media.bitsPerSecond / 1e6).toFixed(2)} Mb/s, ${media.tags.length} messages per ${media.durationMs / 1000} s loop`,
);

async function measure(start: () => Promise<Server>, streams: number, subscribers: number): Promise<void> {
  const server = await start();
  try {
    const result = await run(server, media, streams, subscribers, seconds);
    results.push(result);
    console.error(JSON.stringify(result));
  } finally {
    await server.stop();
  }
}

let flip = false;
async function pair(streams: number, subscribers: number, ingestStart: () => Promise<Server>): Promise<void> {
  // Alternate which server goes first, so a drift in the machine's load does not favour one.
  const order = flip ? [startBareNms, ingestStart] : [ingestStart, startBareNms];
  flip = !flip;
  for (const start of order) await measure(start, streams, subscribers);
}

for (const subscribers of subscriberCounts) await pair(1, subscribers, () => startIngests(1));
for (const streams of publisherCounts) await pair(streams, 1, () => startIngests(streams));

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
const rows = [
  '| streams x subscribers | server | processes | CPU (cores) | RSS (MiB) | latency p50 / p99 / max (ms) | delivered |',
  '| --- | --- | --- | --- | --- | --- | --- |',
];
for (const r of results) {
  rows.push(
    `| ${r.streams} x ${r.subscribersPerStream} | ${r.server} | ${r.processes} | ${fmt(r.cpuCores, 3)} | ${fmt(r.rssMiB, 0)} | ${fmt(r.latencyP50Ms)} / ${fmt(r.latencyP99Ms)} / ${fmt(r.latencyMaxMs)} | ${fmt(r.deliveredRatio * 100, 0)}% |`,
  );
}
rows.push(
  '',
  '| streams x subscribers | CPU ratio (ingest / bare) | RSS ratio | p99 latency ratio |',
  '| --- | --- | --- | --- |',
);
for (let i = 0; i + 1 < results.length; i += 2) {
  const a = results[i]!;
  const b = results[i + 1]!;
  const [ingest, bare] = a.server === 'livestream-ingest' ? [a, b] : [b, a];
  rows.push(
    `| ${ingest.streams} x ${ingest.subscribersPerStream} | ${fmt(ingest.cpuCores / bare.cpuCores, 2)} | ${fmt(ingest.rssMiB / bare.rssMiB, 2)} | ${fmt(ingest.latencyP99Ms / bare.latencyP99Ms, 2)} |`,
  );
}
console.log(
  `date: ${new Date().toISOString()}\nmachine: ${machine()}\ncommand: node --import tsx bench/ingest-relay.ts --seconds ${seconds} --subscribers ${values.subscribers} --publishers ${values.publishers}\n`,
);
console.log(rows.join('\n'));
if (values.json) console.log(JSON.stringify(results, null, 2));
process.exit(0);
