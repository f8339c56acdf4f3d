// Shared pieces of the ingest benchmarks: a pre-encoded clip replayed in real time by RTMP
// publishers (node-media-server's own RTMP client), subscribers that time every video message
// from send to arrival, the two servers under test (livestream-ingest and bare node-media-server
// 4.4.3) as separate processes, and CPU/RSS sampling from /proc.
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const require = createRequire(import.meta.url);

interface NmsPacket {
  codec_type: number;
  codec_id?: number;
  flags?: number;
  dts: number;
  pts?: number;
  size: number;
  data: Buffer;
}
interface NmsRtmpClient {
  connect(url: string): Promise<void>;
  sendConnect(): Promise<unknown>;
  sendCreateStream(): Promise<number>;
  sendPublish(name: string): Promise<unknown>;
  sendPlay(name: string): Promise<unknown>;
  sendPacket(packet: NmsPacket): void;
  disconnect(): void;
  onPacketCallback: (packet: NmsPacket) => void;
  onCloseCallback: (hadError: boolean) => void;
  onErrorCallback: (err: Error) => void;
  socket: net.Socket | null;
}
const RtmpClient = require('node-media-server/src/protocol/rtmp_client.js') as new () => NmsRtmpClient;
const nmsLogger = require('node-media-server/src/core/logger.js') as { level: string };
nmsLogger.level = 'error';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const handedOut = new Set<number>();
/** A port free right now and not handed out before in this run (many servers start at once). */
export async function freePort(): Promise<number> {
  for (;;) {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/** Every server process this run started; killed when the run ends, however it ends. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

export interface Tag {
  type: number;
  dts: number;
  data: Buffer;
}

/** A 720p30 H.264 3 Mb/s + AAC 128 kb/s clip (2 s GOP), encoded once and cached. */
export function clip(seconds = 10): { tags: Tag[]; durationMs: number; bitsPerSecond: number } {
  const dir = join(tmpdir(), 'livestream-bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `clip-720p30-3M-${seconds}s.flv`);
  if (!existsSync(file)) {
    const r = spawnSync(
      'ffmpeg',
      [
        '-v',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=1280x720:rate=30',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:sample_rate=48000',
        '-t',
        String(seconds),
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-b:v',
        '3M',
        '-maxrate',
        '3M',
        '-bufsize',
        '6M',
        '-g',
        '60',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        '-b:a',
        '128k',
        '-f',
        'flv',
        `${file}.tmp`,
      ],
      { stdio: 'inherit' },
    );
    if (r.status !== 0) throw new Error('ffmpeg could not encode the benchmark clip');
    spawnSync('mv', [`${file}.tmp`, file]);
  }
  const buf = readFileSync(file);
  const tags: Tag[] = [];
  let p = 13;
  let bytes = 0;
  while (p + 11 <= buf.length) {
    const type = buf[p]!;
    const size = buf.readUIntBE(p + 1, 3);
    const dts = buf.readUIntBE(p + 4, 3) | (buf[p + 7]! << 24);
    const data = buf.subarray(p + 11, p + 11 + size);
    if (type === 8 || type === 9) {
      tags.push({ type, dts, data });
      bytes += size;
    }
    p += 11 + size + 4;
  }
  const durationMs = tags[tags.length - 1]!.dts + 33;
  return { tags, durationMs, bitsPerSecond: (bytes * 8) / (durationMs / 1000) };
}

/** Replays the clip in real time to one RTMP URL, looping with increasing timestamps. */
export class Publisher {
  private readonly client = new RtmpClient();
  readonly sentAt = new Map<number, number>(); // video dts -> performance.now() at send
  private next = 0;
  private loop = 0;
  private startedAt = 0;
  closed = false;

  constructor(
    private readonly media: { tags: Tag[]; durationMs: number },
    private readonly url: string,
    private readonly streamName: string,
  ) {
    this.client.onCloseCallback = () => (this.closed = true);
    this.client.onErrorCallback = () => undefined;
  }

  async start(): Promise<void> {
    await this.client.connect(this.url);
    await this.client.sendConnect();
    await this.client.sendCreateStream();
    await this.client.sendPublish(this.streamName);
    this.startedAt = performance.now();
  }

  /** Sends every tag that is due; call often. */
  pump(now: number): void {
    if (this.closed) return;
    const { tags, durationMs } = this.media;
    for (;;) {
      const tag = tags[this.next]!;
      const dts = tag.dts + this.loop * durationMs;
      if (this.startedAt + dts > now) return;
      this.client.sendPacket({ codec_type: tag.type, dts, size: tag.data.length, data: tag.data });
      if (tag.type === 9) {
        this.sentAt.set(dts, performance.now());
        if (this.sentAt.size > 2000) this.sentAt.delete(this.sentAt.keys().next().value!);
      }
      if (++this.next === tags.length) {
        this.next = 0;
        this.loop++;
      }
    }
  }

  stop(): void {
    this.client.disconnect();
  }
}

/** Plays one stream and records the send-to-arrival delay of each video message. */
export class Subscriber {
  private readonly client = new RtmpClient();
  readonly latenciesMs: number[] = [];
  receivedBytes = 0;
  recording = false;

  constructor(
    private readonly publisher: Publisher,
    private readonly url: string,
    private readonly streamName: string,
  ) {
    this.client.onErrorCallback = () => undefined;
    this.client.onPacketCallback = (packet) => {
      this.receivedBytes += packet.size;
      if (!this.recording || packet.codec_type !== 9) return;
      const sent = this.publisher.sentAt.get(packet.dts);
      if (sent !== undefined) this.latenciesMs.push(performance.now() - sent);
    };
  }

  async start(): Promise<void> {
    await this.client.connect(this.url);
    await this.client.sendConnect();
    await this.client.sendCreateStream();
    await this.client.sendPlay(this.streamName);
  }

  stop(): void {
    this.client.disconnect();
  }
}

/** A server process under test. */
export interface Server {
  name: 'livestream-ingest' | 'node-media-server';
  pids(): number[];
  publishUrl(i: number): { url: string; name: string };
  playUrl(i: number): { url: string; name: string };
  stop(): Promise<void>;
}

const KEY = 'bench-stream-key-0123456789';
const TOKEN = 'bench-play-token-0123456789';

function waitForPort(port: number, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null)
        return reject(new Error(`the server for port ${port} exited (${child.exitCode})`));
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} did not open`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** `count` livestream-ingest processes (one stream each, as in production), from the built dist/. */
export async function startIngests(count: number): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-bench-'));
  writeFileSync(join(dir, 'key'), KEY);
  writeFileSync(join(dir, 'token'), TOKEN);
  const children: { child: ChildProcess; port: number }[] = [];
  for (let i = 0; i < count; i++) {
    const [port, admin] = [await freePort(), await freePort()];
    const child = track(
      spawn(
        process.execPath,
        [
          join(repoRoot, 'dist/ingest/main.js'),
          '--stream-key-file',
          join(dir, 'key'),
          '--play-token-file',
          join(dir, 'token'),
          '--bind',
          '127.0.0.1',
          '--admin-bind',
          '127.0.0.1',
          '--rtmp-port',
          String(port),
          '--admin-port',
          String(admin),
          '--log-level',
          'warn',
          // Dozens of processes and clients start at once on a shared 2-core machine: the 5 s default
          // is for real encoders, not for a client queued behind 30 process start-ups.
          '--handshake-timeout',
          '30s',
        ],
        { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] },
      ),
    );
    children.push({ child, port });
  }
  await Promise.all(children.map((c) => waitForPort(c.port, c.child)));
  await sleep(1000 + 100 * count); // let start-up (module loading, JIT) finish before measuring
  return {
    name: 'livestream-ingest',
    pids: () => children.map((c) => c.child.pid!),
    publishUrl: (i) => ({ url: `rtmp://127.0.0.1:${children[i]!.port}/live/_`, name: KEY }),
    playUrl: (i) => ({ url: `rtmp://127.0.0.1:${children[i]!.port}/live/_`, name: `stream?token=${TOKEN}` }),
    stop: async () => {
      await Promise.all(children.map((c) => stopChild(c.child)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Bare node-media-server 4.4.3: with `processes` 1, one process carries every stream on its own
 * path; with `processes` = streams, one process per stream (the ingest's deployment model).
 */
export async function startBareNms(processes = 1): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'nms-bench-'));
  const children: { child: ChildProcess; port: number }[] = [];
  for (let i = 0; i < processes; i++) {
    const port = await freePort();
    const cwd = join(dir, String(i));
    mkdirSync(cwd);
    writeFileSync(
      join(cwd, 'bare.cjs'),
      `const NMS = require(${JSON.stringify(join(repoRoot, 'node_modules/node-media-server'))});
new NMS({ bind: '127.0.0.1', rtmp: { port: ${port} } }).run();`,
    );
    const child = track(
      spawn(process.execPath, [join(cwd, 'bare.cjs')], {
        cwd,
        stdio: ['ignore', 'ignore', 'inherit'],
      }),
    );
    children.push({ child, port });
  }
  await Promise.all(children.map((c) => waitForPort(c.port, c.child)));
  await sleep(1000 + 100 * processes);
  const portOf = (i: number) => children[processes === 1 ? 0 : i]!.port;
  return {
    name: 'node-media-server',
    pids: () => children.map((c) => c.child.pid!),
    publishUrl: (i) => ({ url: `rtmp://127.0.0.1:${portOf(i)}/live/_`, name: `s${i}` }),
    playUrl: (i) => ({ url: `rtmp://127.0.0.1:${portOf(i)}/live/_`, name: `s${i}` }),
    stop: async () => {
      await Promise.all(children.map((c) => stopChild(c.child)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** CPU seconds (user + system) and resident memory of a set of processes, from /proc. */
export function sample(pids: number[]): { cpuSeconds: number; rssBytes: number } {
  let ticks = 0;
  let rss = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    rss += Number(m?.[1] ?? 0) * 1024;
  }
  return { cpuSeconds: ticks / 100, rssBytes: rss };
}

/** Client start-up on a loaded machine can fail; try again a couple of times before giving up. */
async function withRetries<T>(attempt: () => Promise<T>, tries = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (i >= tries) throw err;
      console.error(`retrying a client start: ${(err as Error).message}`);
      await sleep(1000);
    }
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export interface RunResult {
  server: Server['name'];
  streams: number;
  subscribersPerStream: number;
  processes: number;
  cpuCores: number;
  rssMiB: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  deliveredRatio: number;
}

/** What the orchestrator tells a client process (bench/ingest-client.ts) over IPC. */
export type ToClient =
  | { type: 'start'; streams: { publish: Endpoint; play: Endpoint }[]; subscribersPerStream: number }
  | { type: 'measure' }
  | { type: 'stop' };
export type FromClient =
  | { type: 'ready' }
  | { type: 'result'; latenciesMs: number[]; bytes: number; seconds: number }
  | { type: 'error'; message: string };
export interface Endpoint {
  url: string;
  name: string;
}

/**
 * The client side of one run, inside a client process: `streams` publishers replaying the clip,
 * `subscribersPerStream` subscribers each, retried starts; resolves once everything is flowing.
 */
export async function startClients(
  media: { tags: Tag[]; durationMs: number },
  streams: { publish: Endpoint; play: Endpoint }[],
  subscribersPerStream: number,
): Promise<{ publishers: Publisher[]; subscribers: Subscriber[]; stop(): void }> {
  const publishers: Publisher[] = [];
  const subscribers: Subscriber[] = [];
  // Each publisher sends from the moment it is accepted (a silent one would be closed by the
  // ingest's idle timeout while the others are still connecting).
  const pump = setInterval(() => {
    const now = performance.now();
    for (const p of publishers) p.pump(now);
  }, 5);
  for (const { publish } of streams) {
    publishers.push(
      await withRetries(async () => {
        const p = new Publisher(media, publish.url, publish.name);
        await p.start().catch((err: unknown) => {
          p.stop();
          throw err;
        });
        return p;
      }),
    );
  }
  await sleep(1500); // a GOP is cached before the subscribers join
  for (const [i, { play }] of streams.entries()) {
    for (let j = 0; j < subscribersPerStream; j++) {
      subscribers.push(
        await withRetries(async () => {
          const s = new Subscriber(publishers[i]!, play.url, play.name);
          await s.start().catch((err: unknown) => {
            s.stop();
            throw err;
          });
          return s;
        }),
      );
    }
  }
  return {
    publishers,
    subscribers,
    stop() {
      clearInterval(pump);
      for (const s of subscribers) s.stop();
      for (const p of publishers) p.stop();
    },
  };
}

/**
 * Runs `streams` publishers with `subscribersPerStream` subscribers each against a server, measures
 * the server's CPU and memory over `seconds` after a warm-up, and the send-to-arrival latency of
 * every video message. The clients run in up to `clientProcesses` processes of their own (each
 * with whole streams: a publisher and its subscribers), so one busy client process does not
 * become what is measured.
 */
export async function run(
  server: Server,
  media: { tags: Tag[]; durationMs: number; bitsPerSecond: number },
  streams: number,
  subscribersPerStream: number,
  seconds: number,
  clientProcesses = Math.min(streams, 4),
): Promise<RunResult> {
  const assignments: { publish: Endpoint; play: Endpoint }[][] = Array.from(
    { length: clientProcesses },
    () => [],
  );
  for (let i = 0; i < streams; i++) {
    assignments[i % clientProcesses]!.push({ publish: server.publishUrl(i), play: server.playUrl(i) });
  }
  const clients = assignments.map(() =>
    track(
      fork(join(repoRoot, 'bench/ingest-client.ts'), [], {
        execArgv: ['--import', import.meta.resolve('tsx')],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    ),
  );
  const next = (child: ChildProcess, type: FromClient['type']) =>
    new Promise<FromClient>((resolve, reject) => {
      const onMessage = (message: FromClient) => {
        if (message.type === 'error') reject(new Error(`client: ${message.message}`));
        else if (message.type === type) resolve(message);
        else return;
        child.off('message', onMessage);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`client exited (${code})`)));
    });
  try {
    const ready = clients.map((c) => next(c, 'ready'));
    clients.forEach((c, i) =>
      c.send({ type: 'start', streams: assignments[i]!, subscribersPerStream } satisfies ToClient),
    );
    await Promise.all(ready);
    await sleep(3000);
    const before = sample(server.pids());
    for (const c of clients) c.send({ type: 'measure' } satisfies ToClient);
    const startedAt = performance.now();
    let peakRss = before.rssBytes;
    while (performance.now() - startedAt < seconds * 1000) {
      await sleep(1000);
      peakRss = Math.max(peakRss, sample(server.pids()).rssBytes);
    }
    const after = sample(server.pids());
    const elapsed = (performance.now() - startedAt) / 1000;
    const results = clients.map((c) => next(c, 'result'));
    for (const c of clients) c.send({ type: 'stop' } satisfies ToClient);
    const done = (await Promise.all(results)) as Extract<FromClient, { type: 'result' }>[];
    const latencies = done.flatMap((r) => r.latenciesMs);
    const bytes = done.reduce((sum, r) => sum + r.bytes, 0);
    const clientSeconds = Math.max(...done.map((r) => r.seconds));
    const expectedBytes = (media.bitsPerSecond / 8) * clientSeconds * streams * subscribersPerStream;
    return {
      server: server.name,
      streams,
      subscribersPerStream,
      processes: server.pids().length,
      cpuCores: (after.cpuSeconds - before.cpuSeconds) / elapsed,
      rssMiB: peakRss / 2 ** 20,
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
      latencyMaxMs: percentile(latencies, 100),
      deliveredRatio: expectedBytes > 0 ? bytes / expectedBytes : 0,
    };
  } finally {
    for (const c of clients) if (c.exitCode === null) c.kill('SIGKILL');
  }
}

/** Compiles the programs (the benchmark runs dist/ingest/main.js, as the container does). */
export function build(): void {
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed');
}

export function machine(): string {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  const cores = readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length ?? 0;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return `${cores} x ${cpu}, Node ${process.version}, load average at start ${load}`;
}
