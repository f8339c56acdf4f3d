// What this ffmpeg can do, found at start: its version, encoders and filters (parsed from
// `ffmpeg -version`, `-encoders`, `-filters`), and a one-frame trial of each hardware encoder the
// config could use, so an encoder that is built in but cannot open here (no NVENC on an H100, no
// VAAPI driver) is known before the first pull.
import { execFile } from 'node:child_process';
import type { Settings } from '../config.js';
import { trialArgs } from './args.js';
import { candidates, type Capabilities } from './encoders.js';

/** "ffmpeg version 5.1.9-0+deb12u1 Copyright (c) ..." -> "5.1.9-0+deb12u1" */
export function parseVersion(text: string): string {
  const m = /^ffmpeg version (\S+)/m.exec(text);
  if (!m) throw new Error(`cannot read the ffmpeg version from: ${text.split('\n')[0] ?? ''}`);
  return m[1]!;
}

/** Encoder names from `ffmpeg -hide_banner -encoders` (" V....D libx264  libx264 H.264 ..."). */
export function parseEncoders(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^ ([VAS])[.FSXBD]{5} (\S+)\s/.exec(line);
    if (m && m[2] !== '=') names.add(m[2]!);
  }
  return names;
}

/** Filter names from `ffmpeg -hide_banner -filters` (" ..C scale  V->V  Scale the input ..."). */
export function parseFilters(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^ [.T][.S][.C] (\S+)\s+\S*->\S*\s/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

export type Run = (
  args: string[],
  env?: Record<string, string>,
) => Promise<{ code: number; stdout: string; stderr: string }>;

/** Runs ffmpeg with a time limit; never rejects (a failure is a result). */
export function runFfmpeg(binary = 'ffmpeg', timeoutMs = 15_000): Run {
  return (args, env) =>
    new Promise((resolve) => {
      execFile(
        binary,
        args,
        { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, env: { ...process.env, ...env } },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr: stderr || (err && !stderr ? err.message : stderr) });
        },
      );
    });
}

/** The last meaningful line ffmpeg wrote: the reason an encoder did not open. */
export function lastErrorLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Error parsing global options|^Conversion failed|^Failed to set value/.test(l));
  return (lines[0] ?? 'no reason given').slice(0, 300);
}

export async function probe(settings: Settings, run: Run = runFfmpeg()): Promise<Capabilities> {
  const [version, encoders, filters] = await Promise.all([
    run(['-hide_banner', '-version']),
    run(['-hide_banner', '-encoders']),
    run(['-hide_banner', '-filters']),
  ]);
  if (version.code !== 0) throw new Error(`ffmpeg does not run: ${lastErrorLine(version.stderr)}`);
  const caps: Capabilities = {
    version: parseVersion(version.stdout),
    encoders: parseEncoders(encoders.stdout),
    filters: parseFilters(filters.stdout),
  };
  const failed = new Map<string, string>();
  for (const c of candidates(settings)) {
    if (c.api === 'software' || !caps.encoders.has(c.encoder)) continue;
    const env = c.vendor ? { LIBVA_DRIVER_NAME: c.vendor === 'amd' ? 'radeonsi' : 'iHD' } : undefined;
    const trial = await run(trialArgs(settings, c), env);
    if (trial.code !== 0) failed.set(c.encoder, lastErrorLine(trial.stderr));
  }
  return { ...caps, failedEncoders: failed };
}
