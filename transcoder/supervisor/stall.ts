// Stall rules, pure: a run is stalled when no frame was added for noProgress (a longer allowance
// before the first frame: probing the input), or when its windowed speed stayed below the floor
// for the whole slow allowance.
export interface StallInput {
  nowMs: number;
  startedAtMs: number;
  /** When the frame count last grew; undefined before the first frame. */
  lastFrameAtMs: number | undefined;
  /** Since when the windowed speed has been below the floor; undefined when it is not. */
  slowSinceMs: number | undefined;
}

export interface StallRules {
  noProgressMs: number;
  /** Extra time for the first frame (connecting, probing, the first GOP). */
  startupGraceMs: number;
  slowMs: number;
}

export const SPEED_FLOOR = 0.95;

/** The reason a run counts as stalled, or undefined when it does not. */
export function stallReason(i: StallInput, rules: StallRules): string | undefined {
  if (i.lastFrameAtMs === undefined) {
    const waited = i.nowMs - i.startedAtMs;
    if (waited > rules.noProgressMs + rules.startupGraceMs)
      return `no frame encoded ${Math.round(waited / 1000)} s after ffmpeg started`;
    return undefined;
  }
  const idle = i.nowMs - i.lastFrameAtMs;
  if (idle > rules.noProgressMs) return `no progress for ${Math.round(idle / 1000)} s`;
  if (i.slowSinceMs !== undefined && i.nowMs - i.slowSinceMs > rules.slowMs)
    return `slower than ${SPEED_FLOOR}x real time for ${Math.round((i.nowMs - i.slowSinceMs) / 1000)} s`;
  return undefined;
}
