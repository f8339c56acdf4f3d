// The transcoder's flags (each with a TRANSCODER_* environment fallback; `--help` lists them).
import type { CommandSpec, OptionTable } from '../lib/cli.js';

export const command = {
  name: 'livestream-transcoder',
  summary:
    'Pulls one LiveStream from its ingest and runs the ffmpeg ABR ladder of its TranscodeProfile (one ffmpeg,\n' +
    'CPU, NVENC, VAAPI, QSV or AMF), serving fMP4 HLS (and DASH) from its HTTP origin.',
  epilog:
    'Origin (--origin-port): / preview page (hls.js), /master.m3u8, /<rendition>/index.m3u8, segments,\n' +
    '/manifest.mpd with DASH on; every path also under /hls/.\n' +
    'Admin (--admin-port): /status (JSON, type TranscoderStatus), /healthz, /readyz, /metrics.\n' +
    'The config file is the YAML the operator renders (type TranscoderConfig, docs/transcoder.md).',
  options: {
    config: {
      type: 'string',
      env: 'TRANSCODER_CONFIG',
      required: true,
      description: 'The transcoder config file (YAML, type TranscoderConfig)',
    },
    host: {
      type: 'string',
      env: 'TRANSCODER_HOST',
      default: '',
      description: 'Address the origin and admin servers bind to; empty means every interface',
    },
    originPort: {
      type: 'number',
      env: 'TRANSCODER_ORIGIN_PORT',
      default: 8080,
      min: 0,
      max: 65535,
      description: 'HTTP origin port (HLS, DASH, preview page); 0 picks a free port',
    },
    adminPort: {
      type: 'number',
      env: 'TRANSCODER_ADMIN_PORT',
      default: 9090,
      min: 0,
      max: 65535,
      description: 'Admin HTTP port (/status /healthz /readyz /metrics); 0 picks a free port',
    },
    ffmpeg: {
      type: 'string',
      env: 'TRANSCODER_FFMPEG',
      default: 'ffmpeg',
      description: 'The ffmpeg program to run',
    },
    logLevel: {
      type: 'string',
      env: 'TRANSCODER_LOG_LEVEL',
      default: 'info',
      choices: ['debug', 'info', 'warn', 'error'],
      description: 'Log level (debug shows every ffmpeg stderr line)',
    },
  },
} satisfies CommandSpec<OptionTable>;
