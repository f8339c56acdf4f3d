// Shared fixtures for the transcoder's unit tests: a config with modifiers (cert-manager's gen
// pattern) and Debian bookworm's ffmpeg 5.1 capabilities as recorded from `ffmpeg -encoders/-filters`.
import { readFileSync } from 'node:fs';
import { validateConfig, type Settings, type TranscoderConfig } from '../../../transcoder/config.js';
import type { Capabilities } from '../../../transcoder/ffmpeg/encoders.js';
import { parseEncoders, parseFilters, parseVersion } from '../../../transcoder/ffmpeg/probe.js';

export const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

export function baseConfig(): TranscoderConfig {
  return {
    stream: { namespace: 'studio', name: 'main' },
    ingest: {
      pullUrl: 'rtmp://main-ingest.studio.svc:1935/live/stream',
      statusUrl: 'http://main-ingest.studio.svc:9090/status',
      playTokenFile: '/var/run/livestream/play-token/token',
    },
    accelerator: 'cpu',
    ladder: {
      codec: 'h264',
      gopSeconds: 2,
      renditions: [
        { name: '1080p', width: 1920, height: 1080, videoBitrate: 5_000_000, audioBitrate: 192_000 },
        { name: '720p', width: 1280, height: 720, videoBitrate: 3_000_000, audioBitrate: 128_000 },
        { name: '360p', width: 640, height: 360, videoBitrate: 800_000, audioBitrate: 96_000, maxFps: 30 },
      ],
    },
    output: { directory: '/var/lib/livestream/output', segmentSeconds: 2, playlistSize: 6 },
  };
}

export function settings(...modifiers: ((c: TranscoderConfig) => void)[]): Settings {
  const c = baseConfig();
  for (const m of modifiers) m(c);
  return validateConfig(JSON.parse(JSON.stringify(c)), 'transcoder.yaml');
}

export function debianCapabilities(failed: Record<string, string> = {}): Capabilities {
  return {
    version: parseVersion(fixture('ffmpeg-5.1-debian-version.txt')),
    encoders: parseEncoders(fixture('ffmpeg-5.1-debian-encoders.txt')),
    filters: parseFilters(fixture('ffmpeg-5.1-debian-filters.txt')),
    failedEncoders: new Map(Object.entries(failed)),
  };
}

/** An ffmpeg built with AMF (Debian's is not): Debian's list plus h264_amf and hevc_amf. */
export function amfCapabilities(): Capabilities {
  const caps = debianCapabilities();
  return { ...caps, encoders: new Set([...caps.encoders, 'h264_amf', 'hevc_amf']) };
}
