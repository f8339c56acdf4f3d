// What the supervisor needs from the ingest's /status (IngestStatus): is someone publishing,
// since when (a new `since` is a new publisher), and the source frame rate.
import type { IngestStatus } from '../../ingest/status.js';

export interface IngestView {
  publishing: boolean;
  since: string | null;
  sourceFps: number | null;
}

export async function readIngest(statusUrl: string, timeoutMs = 2000): Promise<IngestView> {
  const res = await fetch(statusUrl, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${statusUrl} answered ${res.status}`);
  return toView((await res.json()) as IngestStatus);
}

export function toView(status: IngestStatus): IngestView {
  return {
    publishing: status.publishing === true,
    since: status.since ?? null,
    sourceFps: normaliseFps(status.video?.framesPerSecond),
  };
}

/** Measured rates wobble (24.97, 30.02): snap to a whole number when close, else keep 2 decimals. */
export function normaliseFps(fps: number | undefined | null): number | null {
  if (fps === undefined || fps === null || !Number.isFinite(fps) || fps < 1) return null;
  const whole = Math.round(fps);
  if (Math.abs(fps - whole) < 0.15) return whole;
  return Math.round(fps * 100) / 100;
}
