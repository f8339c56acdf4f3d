// The transcoder's job (transcoder/config.ts TranscoderConfig) rendered from the LiveStream and its
// TranscodeProfile, and the ConfigMap that carries it. Bitrates: the API's kbps x 1000.
import { createHash } from 'node:crypto';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { Accelerator, LiveStream, Rendition, TranscodeProfile } from '../api/v1alpha1/index.js';
import { bufsizeKbit, maxrateKbps } from '../api/v1alpha1/index.js';
import type { LadderRendition, TranscoderConfig } from '../../transcoder/config.js';
import { childMeta } from './labels.js';
import { keys, names, paths, ports } from './names.js';
import { serviceHost } from './services.js';

const bits = (kbps: number) => kbps * 1000;

function ladderRendition(r: Rendition): LadderRendition {
  return {
    name: r.name,
    width: r.width,
    height: r.height,
    videoBitrate: bits(r.videoBitrateKbps),
    videoMaxrate: bits(maxrateKbps(r)),
    videoBufsize: bits(bufsizeKbit(r)),
    ...(r.maxFps === undefined ? {} : { maxFps: r.maxFps }),
    audioBitrate: bits(r.audioBitrateKbps),
  };
}

/** Only the tuning of the accelerator in use: another block's change must not restart this stream. */
function tuning(profile: TranscodeProfile, accelerator: Accelerator): TranscoderConfig['tuning'] {
  const { cpu, nvidia, amd } = profile.spec.encoders;
  if (accelerator === 'nvidia') return { nvenc: { preset: nvidia.preset, tune: nvidia.tune } };
  if (accelerator === 'amd') return { amd: { quality: amd.quality } };
  return { x264: { preset: cpu.preset, ...(cpu.tune === 'none' ? {} : { tune: cpu.tune }) } };
}

export function transcoderConfig(
  stream: LiveStream,
  profile: TranscodeProfile,
  accelerator: Accelerator,
  clusterDomain: string,
): TranscoderConfig {
  const host = serviceHost(stream, names.ingestInternalService(stream), clusterDomain);
  const { spec } = profile;
  const { output } = stream.spec;
  return {
    stream: { namespace: stream.metadata.namespace ?? '', name: stream.metadata.name ?? '' },
    ingest: {
      pullUrl: `rtmp://${host}:${ports.rtmp}/live/stream`,
      statusUrl: `http://${host}:${ports.admin}/status`,
      playTokenFile: paths.playTokenFile,
    },
    accelerator,
    ...(accelerator === 'amd' ? { amdApi: spec.encoders.amd.api } : {}),
    ladder: {
      codec: spec.video.codec,
      gopSeconds: spec.video.gopSeconds,
      maxFps: spec.limits.maxFps,
      audio: { sampleRateHz: spec.audio.sampleRateHz, channels: spec.audio.channels },
      renditions: spec.renditions.map(ladderRendition),
      ...(spec.passthrough.enabled ? { passthrough: { name: spec.passthrough.name } } : {}),
    },
    tuning: tuning(profile, accelerator),
    output: {
      directory: paths.output,
      segmentSeconds: output.segmentSeconds,
      playlistSize: output.playlistSize,
      hls: output.hls.enabled,
      dash: output.dash.enabled,
    },
  };
}

/** The config as the file the transcoder reads. */
export function renderConfig(config: TranscoderConfig): string {
  return stringify(config, { lineWidth: 0 });
}

export function configMap(stream: LiveStream, content: string): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: childMeta(stream, names.transcoderConfig(stream), 'transcoder'),
    data: { [keys.config]: content },
  };
}

/** A short hash of the config: a pod-template annotation, so a profile change rolls the transcoder. */
export function configHash(content: string): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

/** Segments kept on disk beyond the playlist: the one being written and ffmpeg's delete threshold. */
const EXTRA_SEGMENTS = 3;
const SAFETY = 2;
const MiB = 2 ** 20;

/**
 * The output emptyDir's sizeLimit: every rendition's peak video + audio bitrate over the segments
 * on disk, x2 safety (x2 again with DASH, which may write its own; the passthrough counted as twice
 * the top rendition). At least 64Mi.
 */
export function outputSizeLimit(stream: LiveStream, profile: TranscodeProfile): string {
  const renditions = profile.spec.renditions;
  const ladder = renditions.reduce((sum, r) => sum + bits(maxrateKbps(r) + r.audioBitrateKbps), 0);
  const top = Math.max(0, ...renditions.map((r) => bits(maxrateKbps(r))));
  const bitsPerSecond = ladder + (profile.spec.passthrough.enabled ? 2 * top : 0);
  const { segmentSeconds, playlistSize, dash } = stream.spec.output;
  const bytes =
    (bitsPerSecond / 8) * segmentSeconds * (playlistSize + EXTRA_SEGMENTS) * SAFETY * (dash.enabled ? 2 : 1);
  return `${Math.max(64, Math.ceil(bytes / MiB))}Mi`;
}
