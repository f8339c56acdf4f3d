// Where the ffmpeg arguments are built: one pure function from (settings, encoder plan, input) to
// the argument list of ONE ffmpeg process for the whole ladder (decode once, split, scale per
// rendition, encode each with keyframes at the same instants, package fMP4 HLS and/or DASH).
// Golden files in test/unit/transcoder/golden/ pin the output for every encoder family.
import type { LadderRendition, Settings } from '../config.js';
import type { EncoderCandidate, EncoderPlan } from './encoders.js';

export interface FfmpegInput {
  /** The pull URL with its token (never logged: see redactArgs). */
  url: string;
  /** The source frame rate as the ingest measured it; null when unknown (30 is assumed). */
  sourceFps: number | null;
}

/** Where one rendition's files land, relative to the output directory. */
export interface RenditionLayout {
  name: string;
  /** Media playlist of this rendition (as the master playlist names it). */
  playlist: string;
  /** Folder of its segments and the file names that are segments (video, and audio when separate). */
  dir: string;
  segments: RegExp[];
  /** Frame rate of its video (for FRAME-RATE in the master playlist); null for a passthrough. */
  frameRate: number | null;
  /** Target bits per second (video + audio); null for a passthrough. */
  targetBitsPerSecond: number | null;
}

export interface OutputLayout {
  /** The HLS master playlist, when HLS is on. */
  master: string | null;
  /** The DASH manifest, when DASH is on. */
  manifest: string | null;
  renditions: RenditionLayout[];
}

export interface FfmpegJob {
  /** Arguments after `ffmpeg`; run with the output directory as the working directory. */
  args: string[];
  /** Extra environment (the VAAPI driver). */
  env: Record<string, string>;
  encoder: string;
  plan: EncoderPlan;
  fallbackReason: string | null;
  layout: OutputLayout;
}

const ASSUMED_FPS = 30;
/** Segments ffmpeg keeps on disk after they left the playlist (slow players still fetching them). */
export const DELETE_THRESHOLD = 2;

/** The output frame rate of a rendition: the source's, capped by the profile and the rendition. */
export function renditionFps(s: Settings, r: LadderRendition, sourceFps: number | null): number {
  const caps = [s.ladder.maxFps, r.maxFps].filter((v): v is number => v !== null && v !== undefined);
  return Math.min(sourceFps ?? ASSUMED_FPS, ...caps);
}

export function buildFfmpegArgs(s: Settings, plan: EncoderPlan, input: FfmpegInput): FfmpegJob {
  const renditions = s.ladder.renditions;
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'warning',
    '-nostats',
    '-progress',
    'pipe:1',
    ...hardwareInit(s, plan),
    // A pull that stops delivering ends ffmpeg instead of hanging (microseconds).
    '-rw_timeout',
    String(Math.round(s.ingest.readTimeoutSeconds * 1_000_000)),
    // FLV's default 5 s of probing delays the first segment by ~0.6 s; the ingest hands over the
    // sequence headers and the last GOP at once, so 1 s finds both streams.
    '-analyzeduration',
    '1000000',
    '-i',
    input.url,
    '-filter_complex',
    filterGraph(s, plan, input.sourceFps),
  ];
  renditions.forEach((_, i) => args.push('-map', `[v${i}]`, '-map', `[a${i}]`));
  if (s.ladder.passthrough) args.push('-map', '0:v:0', '-map', '0:a:0');

  args.push(...videoEncoder(s, plan));
  renditions.forEach((r, i) => {
    const fps = renditionFps(s, r, input.sourceFps);
    const gop = String(Math.max(1, Math.round(s.ladder.gopSeconds * fps)));
    const maxrate = r.videoMaxrate ?? Math.round(r.videoBitrate * 1.1);
    args.push(
      `-b:v:${i}`,
      String(r.videoBitrate),
      `-maxrate:v:${i}`,
      String(maxrate),
      `-bufsize:v:${i}`,
      String(r.videoBufsize ?? maxrate),
      `-g:v:${i}`,
      gop,
      `-keyint_min:v:${i}`,
      gop,
    );
  });
  // Every rendition gets a keyframe at the same instants: players switch at segment boundaries.
  args.push('-force_key_frames:v', `expr:gte(t,n_forced*${s.ladder.gopSeconds})`);
  args.push(
    '-c:a',
    'aac',
    '-ar:a',
    String(s.ladder.audio.sampleRateHz),
    '-ac:a',
    String(s.ladder.audio.channels),
  );
  renditions.forEach((r, i) => args.push(`-b:a:${i}`, String(r.audioBitrate)));
  if (s.ladder.passthrough) {
    const n = renditions.length;
    args.push(`-c:v:${n}`, 'copy', `-c:a:${n}`, 'copy');
  }

  const dash = s.output.dash;
  args.push(...(dash ? dashOutput(s) : hlsOutput(s)));
  return {
    args,
    env: plan.vendor ? { LIBVA_DRIVER_NAME: plan.vendor === 'amd' ? 'radeonsi' : 'iHD' } : {},
    encoder: plan.encoder,
    plan,
    fallbackReason: plan.fallbackReason,
    layout: layout(s, input.sourceFps),
  };
}

/** Global options that open the GPU and decode on it. */
function hardwareInit(s: Settings, plan: EncoderCandidate): string[] {
  const vaapiDecode = [
    '-init_hw_device',
    `vaapi=va:${s.device.renderNode}`,
    '-hwaccel',
    'vaapi',
    '-hwaccel_output_format',
    'vaapi',
    '-hwaccel_device',
    'va',
  ];
  switch (plan.api) {
    case 'nvenc':
      // NVDEC decode; frames stay in GPU memory through split and scale_cuda to NVENC.
      return ['-hwaccel', 'cuda', '-hwaccel_output_format', 'cuda', '-extra_hw_frames', '8'];
    case 'vaapi':
      return [...vaapiDecode, '-filter_hw_device', 'va'];
    case 'qsv':
      // VAAPI decode, frames mapped to QSV (oneVPL/MFX) for scale_qsv and the encoder.
      return [...vaapiDecode, '-init_hw_device', 'qsv=qs@va', '-filter_hw_device', 'qs'];
    default:
      return [];
  }
}

/** Split the decoded video once, scale per rendition; split the audio once. */
export function filterGraph(s: Settings, plan: EncoderCandidate, sourceFps: number | null): string {
  const n = s.ladder.renditions.length;
  const splitOuts = s.ladder.renditions.map((_, i) => `[s${i}]`).join('');
  const head = plan.api === 'qsv' ? '[0:v:0]hwmap=derive_device=qsv,format=qsv,' : '[0:v:0]';
  const chains = [`${head}split=${n}${splitOuts}`];
  s.ladder.renditions.forEach((r, i) => {
    const fps = renditionFps(s, r, sourceFps);
    const capped = sourceFps === null || fps < sourceFps ? `fps=${fps},` : '';
    chains.push(`[s${i}]${capped}${scaler(plan, r)}[v${i}]`);
  });
  const audioOuts = s.ladder.renditions.map((_, i) => `[a${i}]`).join('');
  chains.push(`[0:a:0]aresample=async=1000,asplit=${n}${audioOuts}`);
  return chains.join(';');
}

function scaler(plan: EncoderCandidate, r: LadderRendition): string {
  const { width: w, height: h } = r;
  switch (plan.scaler) {
    case 'scale_cuda':
      return `scale_cuda=w=${w}:h=${h}:format=yuv420p:force_original_aspect_ratio=decrease:force_divisible_by=2`;
    case 'scale_vaapi':
      return `scale_vaapi=w=${w}:h=${h}:format=nv12`;
    case 'scale_qsv':
      return `scale_qsv=w=${w}:h=${h}`;
    default: {
      // Keep the picture's shape, pad to the exact rendition size (what the master playlist says).
      const format = plan.api === 'amf' ? 'nv12' : 'yuv420p';
      return (
        `scale=w=${w}:h=${h}:force_original_aspect_ratio=decrease:force_divisible_by=2,` +
        `pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=${format}`
      );
    }
  }
}

const amdQualityToVaapiLevel = { speed: 7, balanced: 4, quality: 1 } as const;
const qsvPreset = (x264: string): string =>
  ['ultrafast', 'superfast'].includes(x264) ? 'veryfast' : x264 === 'veryfast' ? 'veryfast' : x264;

/** Codec and tuning options shared by every rendition. */
function videoEncoder(s: Settings, plan: EncoderPlan): string[] {
  const hevcTag = s.ladder.codec === 'hevc' ? ['-tag:v', 'hvc1'] : []; // Apple players need hvc1
  const x = s.tuning.x264;
  switch (plan.api) {
    case 'software': {
      if (plan.encoder === 'libx264') {
        const tune = x.tune === 'none' ? [] : ['-tune:v', x.tune];
        return ['-c:v', 'libx264', '-preset:v', x.preset, ...tune, '-sc_threshold:v', '0'];
      }
      const tune = ['none', 'film', 'stillimage'].includes(x.tune) ? [] : ['-tune:v', x.tune];
      return [
        '-c:v',
        'libx265',
        '-preset:v',
        x.preset,
        ...tune,
        '-x265-params:v',
        'scenecut=0:open-gop=0:repeat-headers=1:log-level=warning',
        ...hevcTag,
      ];
    }
    case 'nvenc':
      return [
        '-c:v',
        plan.encoder,
        '-preset:v',
        s.tuning.nvenc.preset,
        '-tune:v',
        s.tuning.nvenc.tune,
        '-rc:v',
        'cbr',
        '-no-scenecut:v',
        '1',
        '-forced-idr:v',
        '1',
        '-bf:v',
        '0',
        ...hevcTag,
      ];
    case 'vaapi':
      return [
        '-c:v',
        plan.encoder,
        '-rc_mode:v',
        'CBR',
        '-compression_level:v',
        String(amdQualityToVaapiLevel[s.tuning.amd.quality]),
        '-bf:v',
        '0',
        ...hevcTag,
      ];
    case 'qsv':
      return [
        '-c:v',
        plan.encoder,
        '-preset:v',
        qsvPreset(x.preset),
        '-look_ahead:v',
        '0',
        '-bf:v',
        '0',
        ...hevcTag,
      ];
    case 'amf':
      return [
        '-c:v',
        plan.encoder,
        '-usage:v',
        'lowlatency',
        '-quality:v',
        s.tuning.amd.quality,
        '-rc:v',
        'cbr',
        '-bf:v',
        '0',
        ...hevcTag,
      ];
  }
}

/** fMP4 HLS: a master playlist, one folder per rendition, a bounded window of segments on disk. */
function hlsOutput(s: Settings): string[] {
  const names = variantNames(s);
  const streamMap = names.map((name, i) => `v:${i},a:${i},name:${name}`).join(' ');
  return [
    '-f',
    'hls',
    '-hls_time',
    String(s.output.segmentSeconds),
    '-hls_list_size',
    String(s.output.playlistSize),
    '-hls_delete_threshold',
    String(DELETE_THRESHOLD),
    // append_list + omit_endlist: a restarted ffmpeg continues the playlists (numbering goes on,
    // EXT-X-DISCONTINUITY before its first segment) and players never see the stream "end".
    '-hls_flags',
    'delete_segments+independent_segments+temp_file+program_date_time+append_list+omit_endlist',
    '-hls_segment_type',
    'fmp4',
    '-hls_fmp4_init_filename',
    'init.mp4',
    '-master_pl_name',
    'master.m3u8',
    '-var_stream_map',
    streamMap,
    '-hls_segment_filename',
    '%v/seg_%05d.m4s',
    '%v/index.m3u8',
  ];
}

/** Low-latency DASH (CMAF chunks); with HLS on, the same segments are also listed as HLS playlists. */
function dashOutput(s: Settings): string[] {
  const hls = s.output.hls ? ['-hls_playlist', '1', '-hls_master_name', 'master.m3u8'] : [];
  return [
    '-f',
    'dash',
    '-seg_duration',
    String(s.output.segmentSeconds),
    '-window_size',
    String(s.output.playlistSize),
    '-extra_window_size',
    String(DELETE_THRESHOLD),
    '-use_template',
    '1',
    '-use_timeline',
    '0',
    '-streaming',
    '1',
    '-ldash',
    '1',
    '-target_latency',
    String(s.output.segmentSeconds * 3),
    '-format_options',
    'movflags=cmaf',
    '-adaptation_sets',
    'id=0,streams=v id=1,streams=a',
    '-init_seg_name',
    'init-$RepresentationID$.m4s',
    '-media_seg_name',
    'chunk-$RepresentationID$-$Number%05d$.m4s',
    ...hls,
    'manifest.mpd',
  ];
}

function variantNames(s: Settings): string[] {
  const names = s.ladder.renditions.map((r) => r.name);
  return s.ladder.passthrough ? [...names, s.ladder.passthrough.name] : names;
}

/** Where each rendition's files land (HLS folders, or DASH representation numbers). */
export function layout(s: Settings, sourceFps: number | null): OutputLayout {
  const renditions = variantNames(s).map((name, i): RenditionLayout => {
    const r = s.ladder.renditions[i];
    const frameRate = r ? renditionFps(s, r, sourceFps) : null;
    const targetBitsPerSecond = r ? r.videoBitrate + r.audioBitrate : null;
    if (s.output.dash) {
      // Output streams are mapped video, audio, video, audio...: representation 2i and 2i+1.
      const [v, a] = [2 * i, 2 * i + 1];
      return {
        name,
        playlist: `media_${v}.m3u8`,
        dir: '.',
        segments: [new RegExp(`^chunk-${v}-\\d+\\.m4s$`), new RegExp(`^chunk-${a}-\\d+\\.m4s$`)],
        frameRate,
        targetBitsPerSecond,
      };
    }
    return {
      name,
      playlist: `${name}/index.m3u8`,
      dir: name, // names are [a-z0-9_-]: safe as a folder
      segments: [/^seg_\d+\.m4s$/],
      frameRate,
      targetBitsPerSecond,
    };
  });
  return {
    master: s.output.hls ? 'master.m3u8' : null,
    manifest: s.output.dash ? 'manifest.mpd' : null,
    renditions,
  };
}

/** The arguments as they may be logged: the pull URL's query (the token) is cut. */
export function redactArgs(args: string[]): string[] {
  return args.map((a) => (/^rtmps?:\/\//.test(a) ? a.replace(/\?.*$/, '?token=[redacted]') : a));
}

/**
 * A one-frame encode that proves an encoder opens on this machine (NVENC on a GPU without NVENC,
 * a missing VAAPI driver or render node all fail here, in well under a second).
 */
export function trialArgs(s: Settings, c: EncoderCandidate): string[] {
  const source = ['-f', 'lavfi', '-i', 'color=c=black:s=256x144:r=5'];
  const tail = ['-frames:v', '1', '-c:v', c.encoder, '-f', 'null', '-'];
  const base = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  switch (c.api) {
    case 'nvenc':
      return [
        ...base,
        '-init_hw_device',
        'cuda=cu',
        '-filter_hw_device',
        'cu',
        ...source,
        '-vf',
        'format=nv12,hwupload_cuda,scale_cuda=w=128:h=72',
        ...tail,
      ];
    case 'vaapi':
      return [
        ...base,
        '-init_hw_device',
        `vaapi=va:${s.device.renderNode}`,
        '-filter_hw_device',
        'va',
        ...source,
        '-vf',
        'format=nv12,hwupload,scale_vaapi=w=128:h=72',
        ...tail,
      ];
    case 'qsv':
      return [
        ...base,
        '-init_hw_device',
        `vaapi=va:${s.device.renderNode}`,
        '-init_hw_device',
        'qsv=qs@va',
        '-filter_hw_device',
        'qs',
        ...source,
        '-vf',
        'format=nv12,hwupload=extra_hw_frames=16,scale_qsv=w=128:h=72',
        ...tail,
      ];
    default:
      return [...base, ...source, '-vf', 'format=nv12', ...tail];
  }
}
