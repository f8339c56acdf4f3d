// ffmpeg's `-progress pipe:1` output: blocks of key=value lines, each ended by
// `progress=continue` (or `progress=end` at the last one). Fed with chunks as they arrive.

export interface Progress {
  frame: number | null;
  fps: number | null;
  /** Encoding speed against real time (1 = real time); null while ffmpeg reports N/A. */
  speed: number | null;
  droppedFrames: number;
  duplicatedFrames: number;
  /** Output time reached, in microseconds. */
  outTimeUs: number | null;
  bitrateKbps: number | null;
  /** true for the last block (ffmpeg is ending). */
  end: boolean;
}

const num = (v: string | undefined): number | null => {
  if (v === undefined) return null;
  const n = Number.parseFloat(v);
  return Number.isFinite(n) ? n : null;
};

/** One block's fields -> Progress. */
export function toProgress(fields: Record<string, string>): Progress {
  return {
    frame: num(fields.frame),
    fps: num(fields.fps),
    speed: num(fields.speed?.replace(/x$/, '')),
    droppedFrames: num(fields.drop_frames) ?? 0,
    duplicatedFrames: num(fields.dup_frames) ?? 0,
    // out_time_us is right; ffmpeg 5.1's out_time_ms is microseconds too (a known misnomer).
    outTimeUs: num(fields.out_time_us) ?? num(fields.out_time_ms),
    bitrateKbps: num(fields.bitrate?.replace(/kbits\/s$/, '')),
    end: fields.progress === 'end',
  };
}

/** Splits a byte stream into lines and lines into blocks; calls onBlock for each complete block. */
export class ProgressParser {
  private partial = '';
  private fields: Record<string, string> = {};

  constructor(private readonly onBlock: (p: Progress) => void) {}

  push(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const raw of lines) this.line(raw.trim());
  }

  private line(line: string): void {
    const eq = line.indexOf('=');
    if (eq <= 0) return;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    this.fields[key] = value;
    if (key === 'progress') {
      const block = this.fields;
      this.fields = {};
      this.onBlock(toProgress(block));
    }
  }
}
