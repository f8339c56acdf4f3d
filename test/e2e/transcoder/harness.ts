// Real processes for the transcoder's end-to-end tests: livestream-ingest and ffmpeg encoders from
// the ingest's harness, livestream-transcoder itself (node transcoder/main.ts with a config file
// as the operator renders it), ffprobe, and headless Chromium. Everything runs on free 127.0.0.1
// ports and is stopped by pid.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import type { TranscoderConfig } from '../../../transcoder/config.js';
import type { TranscoderStatus } from '../../../transcoder/status.js';
import { Metrics, Proc, freePort, repoRoot, waitFor, type Ingest } from '../ingest/harness.js';

export {
  Ingest,
  Metrics,
  PLAY_TOKEN,
  Proc,
  STREAM_KEY,
  ffmpegPublish,
  sleep,
  stopAll,
  waitFor,
} from '../ingest/harness.js';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

export type ConfigChange = (c: TranscoderConfig) => void;

/** A small CPU ladder with 1 s segments: what a 2-core machine encodes in real time beside the rest. */
export function smallLadder(ingest: Ingest, outputDir: string): TranscoderConfig {
  return {
    stream: { namespace: 'e2e', name: 'main' },
    ingest: {
      pullUrl: `rtmp://127.0.0.1:${ingest.rtmpPort}/live/stream`,
      statusUrl: `${ingest.admin}/status`,
      playTokenFile: join(ingest.dir, 'play-token'),
      readTimeoutSeconds: 3,
    },
    accelerator: 'cpu',
    ladder: {
      codec: 'h264',
      gopSeconds: 1,
      renditions: [
        { name: '360p', width: 640, height: 360, videoBitrate: 700_000, audioBitrate: 96_000 },
        { name: '180p', width: 320, height: 180, videoBitrate: 250_000, audioBitrate: 64_000 },
      ],
    },
    tuning: { x264: { preset: 'ultrafast', tune: 'zerolatency' } },
    output: { directory: outputDir, segmentSeconds: 1, playlistSize: 4 },
    supervisor: { noProgressSeconds: 4, restartBackoff: { initialSeconds: 0.5, maxSeconds: 2 } },
  };
}

export class Transcoder {
  readonly dir = mkdtempSync(join(tmpdir(), 'transcoder-e2e-'));
  readonly output = join(this.dir, 'out');
  proc!: Proc;
  origin = '';
  admin = '';

  constructor(readonly config: TranscoderConfig) {
    config.output.directory = this.output;
  }

  async start(): Promise<this> {
    const file = join(this.dir, 'transcoder.yaml');
    writeFileSync(file, YAML.stringify(this.config));
    this.proc = new Proc(
      process.execPath,
      [
        '--import',
        import.meta.resolve('tsx'),
        join(repoRoot, 'transcoder/main.ts'),
        '--config',
        file,
        '--host',
        '127.0.0.1',
        '--origin-port',
        '0',
        '--admin-port',
        String(await freePort()),
      ],
      { cwd: this.dir, env: { ...process.env, NODE_OPTIONS: '', TSX_DISABLE_CACHE: '1' } },
    );
    const started = await waitFor(
      'the transcoder to start',
      () => {
        if (this.proc.exitInfo) throw new Error(`transcoder exited: ${this.proc.stderr}${this.proc.stdout}`);
        return this.logs().find((l) => l.msg === 'transcoder started') as
          { origin: number; admin: number } | undefined;
      },
      30_000,
    );
    this.origin = `http://127.0.0.1:${started.origin}`;
    this.admin = `http://127.0.0.1:${started.admin}`;
    return this;
  }

  async status(): Promise<TranscoderStatus> {
    return (await fetch(`${this.admin}/status`)).json() as Promise<TranscoderStatus>;
  }

  async metrics(): Promise<Metrics> {
    return new Metrics(await (await fetch(`${this.admin}/metrics`)).text());
  }

  async text(path: string): Promise<string> {
    const res = await fetch(this.origin + path);
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    return res.text();
  }

  async bytes(path: string): Promise<Buffer> {
    const res = await fetch(this.origin + path);
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }

  async waitLive(timeoutMs = 60_000): Promise<TranscoderStatus> {
    return waitFor(
      'the transcoder to be live',
      async () => {
        if (this.proc.exitInfo) throw new Error(`transcoder exited: ${this.proc.stdout.slice(-3000)}`);
        const s = await this.status();
        return s.live ? s : undefined;
      },
      timeoutMs,
      250,
    );
  }

  logs(): Record<string, unknown>[] {
    return this.proc.jsonLogs();
  }

  async stop(): Promise<void> {
    await this.proc?.stop(15_000);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The segment file names of a media playlist, with their EXTINF durations and discontinuities. */
export function mediaPlaylist(text: string): {
  sequence: number;
  segments: { uri: string; duration: number; discontinuity: boolean }[];
  map: string | null;
} {
  if (!text.startsWith('#EXTM3U')) return { sequence: 0, segments: [], map: null };
  const lines = text.split('\n').map((l) => l.trim());
  const sequence = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? 0);
  const map = /#EXT-X-MAP:URI="([^"]+)"/.exec(text)?.[1] ?? null;
  const segments: { uri: string; duration: number; discontinuity: boolean }[] = [];
  let duration = 0;
  let discontinuity = false;
  for (const line of lines) {
    if (line.startsWith('#EXTINF:')) duration = Number(line.slice(8).split(',')[0]);
    else if (line === '#EXT-X-DISCONTINUITY') discontinuity = true;
    else if (line && !line.startsWith('#')) {
      segments.push({ uri: line, duration, discontinuity });
      discontinuity = false;
    }
  }
  return { sequence, segments, map };
}

/** The streams ffprobe finds in a file (an init segment followed by a media segment). */
export async function probeStreams(
  file: string,
): Promise<
  { codec_name: string; codec_type: string; width?: number; height?: number; sample_rate?: string }[]
> {
  const proc = new Proc('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=codec_name,codec_type,width,height,sample_rate',
    '-of',
    'json',
    file,
  ]);
  const { code } = await proc.exit(30_000);
  if (code !== 0) throw new Error(`ffprobe ${file}: ${proc.stderr}`);
  return (JSON.parse(proc.stdout) as { streams: never[] }).streams;
}

/** Times (seconds) of the video keyframes in a file, and of its first video packet. */
export async function keyframeTimes(file: string): Promise<{ first: number; keyframes: number[] }> {
  const proc = new Proc('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v',
    '-show_entries',
    'packet=pts_time,flags',
    '-of',
    'csv=p=0',
    file,
  ]);
  const { code } = await proc.exit(30_000);
  if (code !== 0) throw new Error(`ffprobe ${file}: ${proc.stderr}`);
  const packets = proc.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(','))
    .map(([t, flags]) => ({ time: Number(t), key: (flags ?? '').startsWith('K') }));
  return {
    first: Math.min(...packets.map((p) => p.time)),
    keyframes: packets.filter((p) => p.key).map((p) => p.time),
  };
}
