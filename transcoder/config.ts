// The transcoder's job, as the operator renders it (ConfigMap `<stream>-transcoder`, key
// `transcoder.yaml`, mounted read-only) and `livestream-transcoder --config FILE` reads it.
// This type is the contract between the two: the operator builds it (operator/build), the
// transcoder validates it at start and builds its ffmpeg arguments from it (transcoder/ffmpeg).
// Bitrates here are bits per second (the API's kbps x 1000), so ffmpeg arguments need no units.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { ConfigError } from '../lib/errors.js';
import type { Accelerator, AmdEncoderApi, VideoCodec } from '../operator/api/v1alpha1/types.js';

export interface TranscoderConfig extends TranscoderConfigExtras {
  /** Which LiveStream this is: labels on metrics and logs. */
  stream: { namespace: string; name: string };
  ingest: {
    /** The raw stream, without the token: rtmp://<stream>-ingest.<ns>.svc:1935/live/stream */
    pullUrl: string;
    /** The ingest's status endpoint (IngestStatus), polled until an encoder publishes. */
    statusUrl: string;
    /** File holding the internal play token, sent as ?token= (the `<stream>-play-token` Secret). */
    playTokenFile: string;
    /** ffmpeg's read timeout on the pull (-rw_timeout); default 5. */
    readTimeoutSeconds?: number;
  };
  /** The accelerator the operator placed the pod on. */
  accelerator: Accelerator;
  /** AMD only: how ffmpeg reaches the GPU (default vaapi). */
  amdApi?: AmdEncoderApi;
  ladder: {
    codec: VideoCodec;
    gopSeconds: number;
    /** Profile-wide frame-rate cap (limits.maxFps). */
    maxFps?: number;
    audio?: { sampleRateHz: 44100 | 48000; channels: number };
    renditions: LadderRendition[];
    /** An extra variant with the source video copied, under this name. */
    passthrough?: { name: string };
  };
  tuning?: {
    x264?: { preset?: string; tune?: string };
    nvenc?: { preset?: string; tune?: string };
    amd?: { quality?: 'speed' | 'balanced' | 'quality' };
  };
  output: {
    /** Where segments and playlists are written (an emptyDir in the pod). */
    directory: string;
    segmentSeconds: number;
    playlistSize: number;
    /** Default true. */
    hls?: boolean;
    /** Default false. */
    dash?: boolean;
  };
  supervisor?: {
    /** No ffmpeg progress for this long counts as a stall and restarts ffmpeg (default 10). */
    noProgressSeconds?: number;
    restartBackoff?: { initialSeconds?: number; maxSeconds?: number };
  };
}

export interface LadderRendition {
  name: string;
  width: number;
  height: number;
  /** Bits per second. */
  videoBitrate: number;
  videoMaxrate?: number;
  /** Bits. */
  videoBufsize?: number;
  maxFps?: number;
  /** Bits per second. */
  audioBitrate: number;
}

// ---------------------------------------------------------------------------------------------
// Fields the transcoder reads beyond the operator's contract (all optional; the operator may add them).
export interface TranscoderConfigExtras {
  /** false: never encode on the CPU when the accelerator's encoder is unusable (state Failed). Default true. */
  allowCpuFallback?: boolean;
  /** Hardware access details for VAAPI/QSV. */
  device?: {
    /** DRI render node for VAAPI/QSV (default /dev/dri/renderD128). */
    renderNode?: string;
    /** An Intel GPU on a node placed as `cpu`: encode with VAAPI (iHD driver) or QSV. */
    intel?: 'vaapi' | 'qsv';
  };
}

/** The config with every default filled in: what the rest of the transcoder works with. */
export interface Settings {
  stream: { namespace: string; name: string };
  ingest: { pullUrl: string; statusUrl: string; playTokenFile: string; readTimeoutSeconds: number };
  accelerator: Accelerator;
  amdApi: AmdEncoderApi;
  allowCpuFallback: boolean;
  device: { renderNode: string; intel: 'vaapi' | 'qsv' | null };
  ladder: {
    codec: VideoCodec;
    gopSeconds: number;
    maxFps: number | null;
    audio: { sampleRateHz: 44100 | 48000; channels: number };
    renditions: LadderRendition[];
    passthrough: { name: string } | null;
  };
  tuning: {
    x264: { preset: string; tune: string };
    nvenc: { preset: string; tune: string };
    amd: { quality: 'speed' | 'balanced' | 'quality' };
  };
  output: { directory: string; segmentSeconds: number; playlistSize: number; hls: boolean; dash: boolean };
  supervisor: { noProgressSeconds: number; restartBackoff: { initialSeconds: number; maxSeconds: number } };
}

const X26X_PRESETS = [
  'ultrafast',
  'superfast',
  'veryfast',
  'faster',
  'fast',
  'medium',
  'slow',
  'slower',
  'veryslow',
] as const;
const X26X_TUNES = ['none', 'zerolatency', 'film', 'animation', 'grain', 'stillimage', 'fastdecode'] as const;
const NVENC_PRESETS = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'] as const;
const NVENC_TUNES = ['hq', 'll', 'ull'] as const;
const NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** Reads a value at a dotted path and checks it; every message names the field and what is allowed. */
class Checker {
  constructor(private readonly where: string) {}

  fail(field: string, problem: string): never {
    throw new ConfigError(`${this.where}: ${field}: ${problem}`);
  }

  object(value: unknown, field: string, optional = false): Record<string, unknown> | undefined {
    if (value === undefined && optional) return undefined;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      this.fail(field, `must be a mapping, got ${describe(value)}`);
    return value as Record<string, unknown>;
  }

  string(value: unknown, field: string, pattern?: RegExp, allowed?: string): string {
    if (typeof value !== 'string' || value === '')
      this.fail(field, `must be a non-empty string, got ${describe(value)}`);
    if (pattern && !pattern.test(value)) this.fail(field, `"${value}" is not allowed; ${allowed}`);
    return value;
  }

  choice<T extends string>(value: unknown, field: string, choices: readonly T[], fallback?: T): T {
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'string' || !(choices as readonly string[]).includes(value))
      this.fail(field, `${describe(value)} is not allowed; choose one of ${choices.join(', ')}`);
    return value as T;
  }

  number(
    value: unknown,
    field: string,
    range: { min: number; max: number; integer?: boolean },
    fallback?: number,
  ): number {
    if (value === undefined && fallback !== undefined) return fallback;
    const kind = range.integer ? 'an integer' : 'a number';
    if (typeof value !== 'number' || !Number.isFinite(value) || (range.integer && !Number.isInteger(value)))
      this.fail(field, `must be ${kind} from ${range.min} to ${range.max}, got ${describe(value)}`);
    if (value < range.min || value > range.max)
      this.fail(field, `must be ${kind} from ${range.min} to ${range.max}, got ${value}`);
    return value;
  }

  boolean(value: unknown, field: string, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') this.fail(field, `must be true or false, got ${describe(value)}`);
    return value;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}

/** Parses the YAML text of a config file; `where` names the file in error messages. */
export function parseConfig(text: string, where: string): Settings {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (err) {
    throw new ConfigError(`${where}: not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  return validateConfig(raw, where);
}

export function loadConfig(file: string): Settings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `--config ${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  return parseConfig(text, file);
}

/** Checks a parsed config and fills in the defaults. */
export function validateConfig(raw: unknown, where: string): Settings {
  const c = new Checker(where);
  const root = c.object(raw, '(top level)')!;
  const stream = c.object(root.stream, 'stream')!;
  const ingest = c.object(root.ingest, 'ingest')!;
  const ladder = c.object(root.ladder, 'ladder')!;
  const output = c.object(root.output, 'output')!;
  const tuning = c.object(root.tuning, 'tuning', true) ?? {};
  const supervisor = c.object(root.supervisor, 'supervisor', true) ?? {};
  const device = c.object(root.device, 'device', true) ?? {};

  const url = (value: unknown, field: string, schemes: RegExp) =>
    c.string(
      value,
      field,
      schemes,
      `use a URL such as ${field === 'ingest.pullUrl' ? 'rtmp://host:1935/live/stream' : 'http://host:9090/status'}`,
    );

  const renditionsRaw = ladder.renditions;
  if (!Array.isArray(renditionsRaw) || renditionsRaw.length === 0 || renditionsRaw.length > 16)
    c.fail('ladder.renditions', `must be a list of 1 to 16 renditions, got ${describe(renditionsRaw)}`);
  const renditions = (renditionsRaw as unknown[]).map((r, i) => rendition(c, r, `ladder.renditions[${i}]`));
  const names = new Set<string>();
  renditions.forEach((r, i) => {
    if (names.has(r.name))
      c.fail(`ladder.renditions[${i}].name`, `"${r.name}" is used twice; names must be unique`);
    names.add(r.name);
  });
  const passthroughRaw = c.object(ladder.passthrough, 'ladder.passthrough', true);
  const passthrough = passthroughRaw
    ? { name: c.string(passthroughRaw.name, 'ladder.passthrough.name', NAME, 'use 1-32 of a-z 0-9 _ -') }
    : null;
  if (passthrough && names.has(passthrough.name))
    c.fail('ladder.passthrough.name', `"${passthrough.name}" is also a rendition name`);
  const audio = c.object(ladder.audio, 'ladder.audio', true) ?? {};
  const x264 = c.object(tuning.x264, 'tuning.x264', true) ?? {};
  const nvenc = c.object(tuning.nvenc, 'tuning.nvenc', true) ?? {};
  const amd = c.object(tuning.amd, 'tuning.amd', true) ?? {};
  const backoff = c.object(supervisor.restartBackoff, 'supervisor.restartBackoff', true) ?? {};

  const settings: Settings = {
    stream: {
      namespace: c.string(stream.namespace, 'stream.namespace'),
      name: c.string(stream.name, 'stream.name'),
    },
    ingest: {
      pullUrl: url(ingest.pullUrl, 'ingest.pullUrl', /^rtmps?:\/\/[^/?#\s]+\/[^?#\s]+$/),
      statusUrl: url(ingest.statusUrl, 'ingest.statusUrl', /^https?:\/\/[^/?#\s]+\/\S*$/),
      playTokenFile: c.string(ingest.playTokenFile, 'ingest.playTokenFile'),
      readTimeoutSeconds: c.number(
        ingest.readTimeoutSeconds,
        'ingest.readTimeoutSeconds',
        { min: 1, max: 120 },
        5,
      ),
    },
    accelerator: c.choice(root.accelerator, 'accelerator', ['nvidia', 'amd', 'cpu'] as const),
    amdApi: c.choice(root.amdApi, 'amdApi', ['vaapi', 'amf'] as const, 'vaapi'),
    allowCpuFallback: c.boolean(root.allowCpuFallback, 'allowCpuFallback', true),
    device: {
      renderNode:
        device.renderNode === undefined
          ? '/dev/dri/renderD128'
          : c.string(
              device.renderNode,
              'device.renderNode',
              /^\/dev\/dri\/renderD\d+$/,
              'use /dev/dri/renderD<N>',
            ),
      intel:
        device.intel === undefined ? null : c.choice(device.intel, 'device.intel', ['vaapi', 'qsv'] as const),
    },
    ladder: {
      codec: c.choice(ladder.codec, 'ladder.codec', ['h264', 'hevc'] as const),
      gopSeconds: c.number(ladder.gopSeconds, 'ladder.gopSeconds', { min: 1, max: 10, integer: true }),
      maxFps:
        ladder.maxFps === undefined ? null : c.number(ladder.maxFps, 'ladder.maxFps', { min: 1, max: 120 }),
      audio: {
        sampleRateHz:
          c.number(
            audio.sampleRateHz,
            'ladder.audio.sampleRateHz',
            { min: 44100, max: 48000, integer: true },
            48000,
          ) === 44100
            ? 44100
            : 48000,
        channels: c.number(audio.channels, 'ladder.audio.channels', { min: 1, max: 2, integer: true }, 2),
      },
      renditions,
      passthrough,
    },
    tuning: {
      x264: {
        preset: c.choice(x264.preset, 'tuning.x264.preset', X26X_PRESETS, 'veryfast'),
        tune: c.choice(x264.tune, 'tuning.x264.tune', X26X_TUNES, 'zerolatency'),
      },
      nvenc: {
        preset: c.choice(nvenc.preset, 'tuning.nvenc.preset', NVENC_PRESETS, 'p4'),
        tune: c.choice(nvenc.tune, 'tuning.nvenc.tune', NVENC_TUNES, 'll'),
      },
      amd: {
        quality: c.choice(
          amd.quality,
          'tuning.amd.quality',
          ['speed', 'balanced', 'quality'] as const,
          'balanced',
        ),
      },
    },
    output: {
      directory: c.string(output.directory, 'output.directory'),
      segmentSeconds: c.number(output.segmentSeconds, 'output.segmentSeconds', {
        min: 1,
        max: 10,
        integer: true,
      }),
      playlistSize: c.number(output.playlistSize, 'output.playlistSize', { min: 3, max: 30, integer: true }),
      hls: c.boolean(output.hls, 'output.hls', true),
      dash: c.boolean(output.dash, 'output.dash', false),
    },
    supervisor: {
      noProgressSeconds: c.number(
        supervisor.noProgressSeconds,
        'supervisor.noProgressSeconds',
        { min: 1, max: 600 },
        10,
      ),
      restartBackoff: {
        initialSeconds: c.number(
          backoff.initialSeconds,
          'supervisor.restartBackoff.initialSeconds',
          { min: 0.1, max: 60 },
          1,
        ),
        maxSeconds: c.number(
          backoff.maxSeconds,
          'supervisor.restartBackoff.maxSeconds',
          { min: 0.1, max: 600 },
          30,
        ),
      },
    },
  };
  if (
    ladder.audio !== undefined &&
    audio.sampleRateHz !== undefined &&
    ![44100, 48000].includes(audio.sampleRateHz as number)
  )
    c.fail('ladder.audio.sampleRateHz', `must be 44100 or 48000, got ${describe(audio.sampleRateHz)}`);
  if (!settings.output.hls && !settings.output.dash)
    c.fail('output.hls', 'HLS and DASH are both off; at least one must be on');
  if (settings.supervisor.restartBackoff.maxSeconds < settings.supervisor.restartBackoff.initialSeconds)
    c.fail('supervisor.restartBackoff.maxSeconds', 'must not be below restartBackoff.initialSeconds');
  return settings;
}

function rendition(c: Checker, raw: unknown, field: string): LadderRendition {
  const r = c.object(raw, field)!;
  const even = (value: unknown, name: string, max: number) => {
    const n = c.number(value, `${field}.${name}`, { min: 16, max, integer: true });
    if (n % 2 !== 0) c.fail(`${field}.${name}`, `must be even (4:2:0 video), got ${n}`);
    return n;
  };
  const out: LadderRendition = {
    name: c.string(
      r.name,
      `${field}.name`,
      NAME,
      'use 1-32 of a-z 0-9 _ - (it becomes a folder and a URL path)',
    ),
    width: even(r.width, 'width', 7680),
    height: even(r.height, 'height', 4320),
    videoBitrate: c.number(r.videoBitrate, `${field}.videoBitrate`, {
      min: 50_000,
      max: 1_500_000_000,
      integer: true,
    }),
    audioBitrate: c.number(r.audioBitrate, `${field}.audioBitrate`, {
      min: 8_000,
      max: 512_000,
      integer: true,
    }),
  };
  if (r.videoMaxrate !== undefined)
    out.videoMaxrate = c.number(r.videoMaxrate, `${field}.videoMaxrate`, {
      min: out.videoBitrate,
      max: 3_000_000_000,
      integer: true,
    });
  if (r.videoBufsize !== undefined)
    out.videoBufsize = c.number(r.videoBufsize, `${field}.videoBufsize`, {
      min: 10_000,
      max: 6_000_000_000,
      integer: true,
    });
  if (r.maxFps !== undefined) out.maxFps = c.number(r.maxFps, `${field}.maxFps`, { min: 1, max: 120 });
  return out;
}
