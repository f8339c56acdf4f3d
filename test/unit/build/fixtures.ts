// Test fixtures: LiveStreams and TranscodeProfiles as the API server returns them (schema defaults
// applied by walking the schema in operator/api/v1alpha1/schema.ts), built with modifier functions:
//   liveStream('main-stage', preference('nvidia', 'cpu'), noFallback)
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Schema } from '../../../operator/api/dsl.js';
import type { Accelerator, LiveStream, TranscodeProfile } from '../../../operator/api/v1alpha1/index.js';
import { v1alpha1 } from '../../../operator/api/v1alpha1/schema.js';

export const NAMESPACE = 'streams';
export const examplesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples');

/** Structural defaulting as the API server does it: a default applies where the parent exists. */
export function withDefaults(schema: Schema, value: unknown): unknown {
  if (Array.isArray(value)) return schema.items ? value.map((v) => withDefaults(schema.items!, v)) : value;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    if (out[key] === undefined && sub.default !== undefined) out[key] = structuredClone(sub.default);
    if (out[key] !== undefined) out[key] = withDefaults(sub, out[key]);
  }
  if (schema.additionalProperties)
    for (const [key, v] of Object.entries(out)) out[key] = withDefaults(schema.additionalProperties, v);
  return out;
}

function specSchema(kind: string): Schema {
  const found = v1alpha1.kinds.find((k) => k.kind === kind);
  if (!found) throw new Error(`no kind ${kind}`);
  return found.spec;
}

type Modifier<T> = (object: T) => void;

/** An object as written by a user (kind, name, spec), defaulted like the API server, then modified. */
export function defaulted<T extends LiveStream | TranscodeProfile>(raw: unknown, ...mods: Modifier<T>[]): T {
  const object = structuredClone(raw) as T;
  object.metadata = { namespace: NAMESPACE, ...object.metadata };
  object.spec = withDefaults(specSchema(object.kind), object.spec) as never;
  for (const mod of mods) mod(object);
  return object;
}

/** An example from examples/, defaulted. */
export function example<T extends LiveStream | TranscodeProfile>(file: string, ...mods: Modifier<T>[]): T {
  return defaulted<T>(parse(readFileSync(join(examplesDir, file), 'utf8')), ...mods);
}

export function liveStream(name: string, ...mods: Modifier<LiveStream>[]): LiveStream {
  return defaulted<LiveStream>(
    {
      apiVersion: 'livestream-operator.io/v1alpha1',
      kind: 'LiveStream',
      metadata: { name },
      spec: { profileRef: { name: 'seed-ladder' } },
    },
    ...mods,
  );
}

// ---- LiveStream modifiers ----
export const preference =
  (...order: Accelerator[]): Modifier<LiveStream> =>
  (s) => {
    s.spec.placement.acceleratorPreference = order;
  };
export const noCpuFallback: Modifier<LiveStream> = (s) => {
  s.spec.placement.allowCpuFallback = false;
};
export const nodeSelector =
  (labels: Record<string, string>): Modifier<LiveStream> =>
  (s) => {
    s.spec.placement.nodeSelector = labels;
  };
export const tolerate =
  (key: string, value: string, effect: 'NoSchedule' | 'NoExecute' = 'NoSchedule'): Modifier<LiveStream> =>
  (s) => {
    s.spec.placement.tolerations = [
      ...(s.spec.placement.tolerations ?? []),
      { key, operator: 'Equal', value, effect },
    ];
  };
export const runtimeClass =
  (name: string): Modifier<LiveStream> =>
  (s) => {
    s.spec.placement.runtimeClassName = name;
  };
export const suspended: Modifier<LiveStream> = (s) => {
  s.spec.suspend = true;
};

// ---- TranscodeProfile modifiers ----
export const hevc: Modifier<TranscodeProfile> = (p) => {
  p.spec.video.codec = 'hevc';
};
export const amdApi =
  (api: 'vaapi' | 'amf'): Modifier<TranscodeProfile> =>
  (p) => {
    p.spec.encoders.amd.api = api;
  };
/** Only the 720p rendition, capped at 30 fps (the sizing anchor). */
export const only720p30: Modifier<TranscodeProfile> = (p) => {
  p.spec.renditions = [
    { name: '720p', width: 1280, height: 720, videoBitrateKbps: 3000, audioBitrateKbps: 128, maxFps: 30 },
  ];
};
/** n copies of the 360p rung (to count encoder sessions). */
export const renditionCount =
  (n: number): Modifier<TranscodeProfile> =>
  (p) => {
    p.spec.renditions = Array.from({ length: n }, (_, i) => ({
      name: `r${i}`,
      width: 640,
      height: 360,
      videoBitrateKbps: 800,
      audioBitrateKbps: 96,
    }));
  };

export const seedLadder = (...mods: Modifier<TranscodeProfile>[]) =>
  example<TranscodeProfile>('transcodeprofile-seed-ladder.yaml', ...mods);
export const lowLatency = (...mods: Modifier<TranscodeProfile>[]) =>
  example<TranscodeProfile>('transcodeprofile-low-latency.yaml', ...mods);
