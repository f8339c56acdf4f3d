// Per-rendition figures measured from the files ffmpeg wrote: age of the newest segment, bitrate
// of the last few segments, the newest segment's duration (from the playlist) and how many
// segments were written. A scan lists a handful of small folders once a second.
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { OutputLayout, RenditionLayout } from '../ffmpeg/args.js';

export interface RenditionFigures {
  name: string;
  newestSegmentAgeSeconds: number | null;
  /** Bits per second of the newest segments (bytes x 8 / their nominal duration). */
  bitsPerSecond: number | null;
  /** EXTINF of the newest segment in the rendition's playlist. */
  segmentSeconds: number | null;
  segmentsTotal: number;
  targetBitsPerSecond: number | null;
}

interface SegmentFile {
  name: string;
  size: number;
  mtimeMs: number;
  sequence: number;
}

/** Segments used for the bitrate. */
const BITRATE_SEGMENTS = 3;

export function listSegments(dir: string, patterns: RegExp[]): SegmentFile[][] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return patterns.map(() => []);
  }
  return patterns.map((pattern) =>
    names
      .filter((n) => pattern.test(n))
      .flatMap((name) => {
        try {
          const st = statSync(path.join(dir, name));
          return [
            {
              name,
              size: st.size,
              mtimeMs: st.mtimeMs,
              sequence: Number(/(\d+)\.m4s$/.exec(name)?.[1] ?? 0),
            },
          ];
        } catch {
          return []; // deleted between readdir and stat
        }
      })
      .sort((a, b) => a.sequence - b.sequence),
  );
}

/** The EXTINF duration of the last segment listed in a media playlist. */
export function lastSegmentDuration(playlist: string): number | null {
  const all = [...playlist.matchAll(/#EXTINF:([\d.]+)/g)];
  const last = all[all.length - 1];
  return last ? Number(last[1]) : null;
}

export class SegmentWatcher {
  private readonly totals = new Map<string, { highest: number; total: number }>();
  private figures: RenditionFigures[] = [];

  constructor(
    private readonly directory: string,
    private readonly nominalSegmentSeconds: number,
  ) {}

  current(): RenditionFigures[] {
    return this.figures;
  }

  scan(layout: OutputLayout, nowMs: number): RenditionFigures[] {
    this.figures = layout.renditions.map((r) => this.measure(r, nowMs));
    return this.figures;
  }

  private measure(r: RenditionLayout, nowMs: number): RenditionFigures {
    const groups = listSegments(path.join(this.directory, r.dir), r.segments);
    const main = groups[0] ?? [];
    const newest = main[main.length - 1];
    let bits = 0;
    let counted = 0;
    for (const group of groups) {
      const recent = group.slice(-BITRATE_SEGMENTS);
      bits += recent.reduce((sum, f) => sum + f.size * 8, 0);
      if (group === main) counted = recent.length;
    }
    let segmentSeconds: number | null = null;
    try {
      segmentSeconds = lastSegmentDuration(readFileSync(path.join(this.directory, r.playlist), 'utf8'));
    } catch {
      segmentSeconds = null;
    }
    // Segment numbers grow across ffmpeg restarts (HLS append_list); a lower one means a fresh start.
    const t = this.totals.get(r.name) ?? { highest: 0, total: 0 };
    if (newest) {
      if (newest.sequence > t.highest) t.total += t.highest === 0 ? main.length : newest.sequence - t.highest;
      else if (newest.sequence < t.highest) t.total += main.length;
      t.highest = newest.sequence;
    }
    this.totals.set(r.name, t);
    return {
      name: r.name,
      newestSegmentAgeSeconds: newest ? Math.max(0, (nowMs - newest.mtimeMs) / 1000) : null,
      bitsPerSecond: counted > 0 ? Math.round(bits / (counted * this.nominalSegmentSeconds)) : null,
      segmentSeconds,
      segmentsTotal: t.total,
      targetBitsPerSecond: r.targetBitsPerSecond,
    };
  }
}

/**
 * Removes what an ended ffmpeg run left behind that the next run would never delete: segments no
 * longer listed in their playlist (ffmpeg forgets the ones it kept past the window when it ends,
 * and an ffmpeg that was killed leaves its `.tmp` file). HLS continues the listed ones (append_list);
 * DASH starts its numbering over, so its files all go. Returns the names removed.
 */
export function pruneUnlisted(directory: string, layout: OutputLayout): string[] {
  const removed: string[] = [];
  const remove = (dir: string, name: string) => {
    try {
      rmSync(path.join(directory, dir, name), { force: true });
      removed.push(path.join(dir, name));
    } catch {
      // already gone
    }
  };
  for (const r of layout.renditions) {
    let names: string[];
    try {
      names = readdirSync(path.join(directory, r.dir));
    } catch {
      continue;
    }
    let listed = new Set<string>();
    if (!layout.manifest) {
      try {
        const playlist = readFileSync(path.join(directory, r.playlist), 'utf8');
        listed = new Set(
          playlist
            .split('\n')
            .filter((l) => l && !l.startsWith('#'))
            .map((l) => l.trim()),
        );
      } catch {
        listed = new Set();
      }
    }
    for (const name of names) {
      const segment = r.segments.some((p) => p.test(name));
      if (name.endsWith('.tmp') || (segment && !listed.has(name))) remove(r.dir, name);
    }
  }
  return removed;
}
