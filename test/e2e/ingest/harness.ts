// Real processes for the ingest's end-to-end tests: the ingest itself (node ingest/main.ts), ffmpeg
// encoders and pullers, GStreamer, a byte-counting TCP relay, and bare node-media-server as the
// control. Every process is started on free 127.0.0.1 ports and stopped by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IngestStatus } from '../../../ingest/status.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
  );
}

/** A child process with its output collected and a promise of its exit. */
export class Proc {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    this.child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      }),
    );
    running.add(this);
    void this.exited.then(() => running.delete(this));
  }

  get pid(): number {
    return this.child.pid!;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exitInfo === undefined) process.kill(this.pid, sig);
  }

  /** SIGTERM (SIGCONT first, in case it was stopped), SIGKILL after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.exitInfo !== undefined) return;
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** The JSON log lines it wrote to stdout so far. */
  jsonLogs(): Record<string, unknown>[] {
    return this.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Waits for the exit, at most `timeoutMs`. */
  async exit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`process ${this.pid} did not exit within ${timeoutMs} ms\n${this.stderr.slice(-2000)}`),
          ),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

const running = new Set<Proc>();
/** Kills whatever a test left running (by pid); call from after(). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop(1000)));
}

export interface IngestOptions {
  flags?: string[];
  /** Run as the unprivileged user "nobody" (only when the tests run as root). */
  asNobody?: boolean;
  /** Serve RTMPS with a fresh self-signed certificate. */
  tls?: boolean;
}

export const STREAM_KEY = 'e2e-stream-key-7f3a9c1d2b';
export const PLAY_TOKEN = 'e2e-play-token-4e8b0a6f5c';

export class Ingest {
  readonly dir: string;
  readonly cwd: string;
  proc!: Proc;
  rtmpPort!: number;
  rtmpsPort!: number;
  adminPort!: number;

  constructor(private readonly options: IngestOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'ingest-e2e-'));
    chmodSync(this.dir, 0o755);
    this.cwd = mkdtempSync(join(tmpdir(), 'ingest-cwd-'));
    chmodSync(this.cwd, 0o755);
    this.writeKey(STREAM_KEY);
    this.writeToken(PLAY_TOKEN);
  }

  get keyFile(): string {
    return join(this.dir, 'stream-key');
  }

  writeKey(key: string): void {
    writeFileSync(this.keyFile, `${key}\n`, { mode: 0o644 });
  }

  writeToken(token: string): void {
    writeFileSync(join(this.dir, 'play-token'), `${token}\n`, { mode: 0o644 });
  }

  tlsFiles: { cert: string; key: string } | undefined;

  async start(): Promise<this> {
    if (this.options.tls) this.tlsFiles ??= await selfSignedCert(this.dir);
    [this.rtmpPort, this.rtmpsPort, this.adminPort] = [await freePort(), await freePort(), await freePort()];
    const args = [
      '--import',
      import.meta.resolve('tsx'), // absolute: the ingest runs in its own empty working directory
      join(repoRoot, 'ingest/main.ts'),
      '--stream-key-file',
      this.keyFile,
      '--play-token-file',
      join(this.dir, 'play-token'),
      '--bind',
      '127.0.0.1',
      '--admin-bind',
      '127.0.0.1',
      '--rtmp-port',
      String(this.rtmpPort),
      '--rtmps-port',
      String(this.rtmpsPort),
      '--admin-port',
      String(this.adminPort),
      '--secret-poll-interval',
      '200ms',
      ...(this.tlsFiles ? ['--tls-cert-file', this.tlsFiles.cert, '--tls-key-file', this.tlsFiles.key] : []),
      ...(this.options.flags ?? []),
    ];
    const asNobody = this.options.asNobody && process.getuid?.() === 0;
    const env = { ...process.env, NODE_OPTIONS: '', TSX_DISABLE_CACHE: '1' };
    this.proc = asNobody
      ? new Proc(
          'setpriv',
          ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', process.execPath, ...args],
          { cwd: this.cwd, env },
        )
      : new Proc(process.execPath, args, { cwd: this.cwd, env });
    await waitFor(
      'the ingest to become ready',
      async () => {
        if (this.proc.exitInfo) throw new Error(`ingest exited: ${this.proc.stderr}${this.proc.stdout}`);
        const res = await fetch(`${this.admin}/readyz`);
        return res.status === 200 ? true : undefined;
      },
      20_000,
    );
    return this;
  }

  get admin(): string {
    return `http://127.0.0.1:${this.adminPort}`;
  }

  publishUrl(key = STREAM_KEY): string {
    return `rtmp://127.0.0.1:${this.rtmpPort}/live/${key}`;
  }

  pullUrl(token = PLAY_TOKEN): string {
    return `rtmp://127.0.0.1:${this.rtmpPort}/live/stream?token=${token}`;
  }

  async status(): Promise<IngestStatus> {
    return (await fetch(`${this.admin}/status`)).json() as never;
  }

  async metrics(): Promise<Metrics> {
    return new Metrics(await (await fetch(`${this.admin}/metrics`)).text());
  }

  /** The JSON log lines written so far. */
  logs(): Record<string, unknown>[] {
    return this.proc.jsonLogs();
  }

  async stop(): Promise<void> {
    await this.proc?.stop(15_000);
    rmSync(this.dir, { recursive: true, force: true });
    rmSync(this.cwd, { recursive: true, force: true });
  }
}

/** Prometheus text, read back. */
export class Metrics {
  constructor(readonly text: string) {}

  /** The value of `name{labels}`; labels must match exactly those given (order free). 0 when absent. */
  get(name: string, labels: Record<string, string> = {}): number {
    const wanted = Object.entries(labels);
    for (const line of this.text.split('\n')) {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const have = Object.fromEntries(
        [...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]),
      );
      if (Object.keys(have).length === wanted.length && wanted.every(([k, v]) => have[k] === v))
        return Number(m[3]);
    }
    return 0;
  }
}

export interface EncoderOptions {
  size?: string;
  fps?: number;
  gop?: number;
  seconds?: number;
  tone?: number;
  /** Extra video filter (after the source). */
  filter?: string;
  videoArgs?: string[];
  /** Pass -re (real time); true by default. */
  realtime?: boolean;
}

/** ffmpeg as an encoder: test pattern + tone, H.264/AAC, published with -progress for its own byte count. */
export function ffmpegPublish(
  url: string,
  o: EncoderOptions = {},
): Proc & { progress(): Record<string, string> } {
  const fps = o.fps ?? 25;
  const args = [
    '-hide_banner',
    '-nostats',
    '-loglevel',
    'error',
    ...(o.realtime === false ? [] : ['-re']),
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${o.size ?? '320x240'}:rate=${fps}${o.filter ? `,${o.filter}` : ''}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${o.tone ?? 440}:sample_rate=48000`,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-g',
    String(o.gop ?? fps),
    '-pix_fmt',
    'yuv420p',
    ...(o.videoArgs ?? []),
    '-c:a',
    'aac',
    '-b:a',
    '64k',
    '-t',
    String(o.seconds ?? 10),
    '-progress',
    'pipe:1',
    '-f',
    'flv',
    url,
  ];
  const proc = new Proc('ffmpeg', args) as Proc & { progress(): Record<string, string> };
  proc.progress = () => lastProgress(proc.stdout);
  return proc;
}

function lastProgress(text: string): Record<string, string> {
  const blocks = text.split(/progress=(?:continue|end)\n/).filter((b) => b.includes('='));
  const last = blocks[blocks.length - 1] ?? '';
  return Object.fromEntries(
    last
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/**
 * ffmpeg as a puller: decodes everything it receives (`-v error`, so every line on stderr is a
 * decode or protocol error) and, when `record` is given, also copies the stream to that FLV file.
 * With `decode: false` it only copies (a reader that keeps up even on a loaded machine).
 */
export function ffmpegPull(
  url: string,
  o: { seconds?: number; record?: string; decode?: boolean } = {},
): Proc & { progress(): Record<string, string> } {
  const args = ['-hide_banner', '-nostats', '-loglevel', 'error', '-rw_timeout', '8000000'];
  if (o.seconds) args.push('-t', String(o.seconds));
  args.push('-i', url, '-progress', 'pipe:1');
  // Audio and video only: GStreamer's metadata makes ffmpeg's FLV reader add a data ("text") stream.
  const av = ['-map', '0:v?', '-map', '0:a?'];
  // Frames keep their own (millisecond) timestamps: a live encoder's jitter must not read as an error.
  if (o.decode !== false)
    args.push(...av, '-fps_mode', 'passthrough', '-enc_time_base', '-1', '-f', 'null', '-');
  if (o.record) args.push(...av, '-c', 'copy', '-f', 'flv', '-y', o.record);
  const proc = new Proc('ffmpeg', args) as Proc & { progress(): Record<string, string> };
  proc.progress = () => lastProgress(proc.stdout);
  return proc;
}

/** Decodes a recorded file as fast as it can; returns ffmpeg's error lines (none for a clean stream). */
export async function decodeErrors(file: string): Promise<string[]> {
  const proc = new Proc('ffmpeg', [
    '-hide_banner',
    '-nostats',
    '-v',
    'error',
    '-i',
    file,
    '-map',
    '0:v?',
    '-map',
    '0:a?',
    '-fps_mode',
    'passthrough',
    '-enc_time_base',
    '-1',
    '-f',
    'null',
    '-',
  ]);
  await proc.exit(60_000);
  return proc.stderr.split('\n').filter((l) => l.trim() !== '');
}

/** Stream descriptions as ffprobe reads them from a URL or file. */
export async function ffprobeStreams(
  url: string,
): Promise<
  { codec_name: string; codec_type: string; width?: number; height?: number; sample_rate?: string }[]
> {
  const proc = new Proc('ffprobe', [
    '-v',
    'error',
    '-rw_timeout',
    '5000000',
    '-show_entries',
    'stream=codec_name,codec_type,width,height,sample_rate',
    '-of',
    'json',
    url,
  ]);
  const { code } = await proc.exit(20_000);
  if (code !== 0) throw new Error(`ffprobe failed: ${proc.stderr}`);
  return (JSON.parse(proc.stdout) as { streams: never[] }).streams;
}

/** Width x height of every decoded video frame of a file, counted by size. */
export async function frameSizes(file: string): Promise<Record<string, number>> {
  const proc = new Proc('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v',
    '-show_entries',
    'frame=width,height',
    '-of',
    'csv=p=0',
    file,
  ]);
  await proc.exit(30_000);
  const counts: Record<string, number> = {};
  for (const line of proc.stdout.split('\n')) {
    const m = /^(\d+),(\d+)/.exec(line.trim()); // frames with side data add more columns
    if (!m) continue;
    const key = `${m[1]}x${m[2]}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** A TCP relay that counts the bytes each way: what a client really sent and received on the wire. */
export async function countingRelay(
  targetPort: number,
): Promise<{ port: number; up: () => number; down: () => number; close: () => Promise<void> }> {
  let up = 0;
  let down = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d) => (up += d.length));
    upstream.on('data', (d) => (down += d.length));
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    up: () => up,
    down: () => down,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Bare node-media-server 4.4.3 (the control), RTMP only, in its own process and scratch directory. */
export class BareNms {
  proc!: Proc;
  port!: number;
  readonly cwd = mkdtempSync(join(tmpdir(), 'nms-bare-'));

  async start(): Promise<this> {
    this.port = await freePort();
    const script = `const NMS = require(${JSON.stringify(join(repoRoot, 'node_modules/node-media-server'))});
new NMS({ bind: '127.0.0.1', rtmp: { port: ${this.port} } }).run();`;
    writeFileSync(join(this.cwd, 'bare.cjs'), script);
    this.proc = new Proc(process.execPath, [join(this.cwd, 'bare.cjs')], { cwd: this.cwd });
    await waitFor(
      'bare node-media-server to listen',
      () => (this.proc.stdout.includes('Rtmp Server listening') ? true : undefined),
      15_000,
    );
    return this;
  }

  url(name: string): string {
    return `rtmp://127.0.0.1:${this.port}/live/${name}`;
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    rmSync(this.cwd, { recursive: true, force: true });
  }
}

/** A self-signed certificate for 127.0.0.1 (RTMPS tests), made with openssl. */
export async function selfSignedCert(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'tls.crt');
  const key = join(dir, 'tls.key');
  const proc = new Proc('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  const { code } = await proc.exit(20_000);
  if (code !== 0) throw new Error(`openssl failed: ${proc.stderr}`);
  chmodSync(key, 0o644);
  return { cert, key };
}
