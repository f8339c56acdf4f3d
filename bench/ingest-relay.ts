// Benchmark: what relaying costs per stream, and how fast, for livestream-ingest against bare
// node-media-server 4.4.3 in the same run (the ratio is the cost of the hardening).
//
//   node --import tsx bench/ingest-relay.ts [--seconds 20] [--subscribers 1,4] [--publishers 1,4,16] [--repeat 1]
//
// "relay": one 720p30 3 Mb/s stream with 1 and 4 subscribers: server CPU (cores), peak RSS, and the
// send-to-arrival latency of every video message at the subscribers.
// "publishers": N concurrent streams with one subscriber each. livestream-ingest serves one stream
// per process by design (a second publisher is refused), so N streams are N ingest processes, as
// in a cluster; bare node-media-server runs both ways: all N in one process on N paths (what one
// process can carry) and one process per stream (the same deployment as the ingest).
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
    publishers: { type: 'string', default: '1,4,16' },
    repeat: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const subscriberCounts = values.subscribers!.split(',').map(Number).filter(Boolean);
const publisherCounts = values.publishers!.split(',').map(Number).filter(Boolean);
const repeat = Math.max(1, Number(values.repeat));

build();
const media = clip();
const results: RunResult[] = [];
const machineAtStart = machine();
console.error(`machine: ${machineAtStart}`);
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
/** Runs the candidates for one scenario back to back, alternating the order between scenarios. */
async function group(streams: number, subscribers: number, starts: (() => Promise<Server>)[]): Promise<void> {
  const order = flip ? [...starts].reverse() : starts;
  flip = !flip;
  for (const start of order) await measure(start, streams, subscribers);
}

for (let round = 0; round < repeat; round++) {
  for (const subscribers of subscriberCounts)
    await group(1, subscribers, [() => startIngests(1), () => startBareNms(1)]);
  for (const streams of publisherCounts) {
    const candidates = [() => startIngests(streams), () => startBareNms(1)];
    if (streams > 1) candidates.push(() => startBareNms(streams));
    await group(streams, 1, candidates);
  }
}

/** The median of each figure over the repeated runs of one configuration. */
function medians(all: RunResult[]): RunResult[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of all) {
    const key = `${r.server}/${r.streams}/${r.subscribersPerStream}/${r.processes}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  return [...groups.values()].map((rs) => ({
    ...rs[0]!,
    cpuCores: median(rs.map((r) => r.cpuCores)),
    rssMiB: median(rs.map((r) => r.rssMiB)),
    latencyP50Ms: median(rs.map((r) => r.latencyP50Ms)),
    latencyP99Ms: median(rs.map((r) => r.latencyP99Ms)),
    latencyMaxMs: median(rs.map((r) => r.latencyMaxMs)),
    deliveredRatio: median(rs.map((r) => r.deliveredRatio)),
  }));
}
const all = results.splice(0, results.length);
results.push(...medians(all));

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
  'Ratios of livestream-ingest to bare node-media-server, first with as many node-media-server processes as ingest processes (the cost of the hardening), then with every stream in one node-media-server process (the cost of one process per stream as well):',
  '',
  '| streams x subscribers | CPU, same processes | RSS, same processes | p99 latency, same processes | CPU, one NMS process | RSS, one NMS process |',
  '| --- | --- | --- | --- | --- | --- |',
);
for (const ingest of results.filter((r) => r.server === 'livestream-ingest')) {
  const same = (r: RunResult) =>
    r.server === 'node-media-server' &&
    r.streams === ingest.streams &&
    r.subscribersPerStream === ingest.subscribersPerStream;
  const bareSame = results.find((r) => same(r) && r.processes === ingest.processes);
  const bareOne = results.find((r) => same(r) && r.processes === 1);
  if (!bareSame || !bareOne) continue;
  rows.push(
    `| ${ingest.streams} x ${ingest.subscribersPerStream} | ${fmt(ingest.cpuCores / bareSame.cpuCores, 2)} | ${fmt(ingest.rssMiB / bareSame.rssMiB, 2)} | ${fmt(ingest.latencyP99Ms / bareSame.latencyP99Ms, 2)} | ${fmt(ingest.cpuCores / bareOne.cpuCores, 2)} | ${fmt(ingest.rssMiB / bareOne.rssMiB, 2)} |`,
  );
}
console.log(
  `date: ${new Date().toISOString()}\nmachine: ${machineAtStart}; at the end ${machine().replace(/.*load average at start /, 'load average ')}\ncommand: node --import tsx bench/ingest-relay.ts --seconds ${seconds} --subscribers ${values.subscribers} --publishers ${values.publishers} --repeat ${repeat}\n${repeat > 1 ? `figures: the median of ${repeat} runs of each configuration\n` : ''}`,
);
console.log(rows.join('\n'));
if (values.json) console.log(JSON.stringify(all, null, 2));
process.exit(0);
