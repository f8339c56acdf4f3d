// Shared pieces of the transcoder benchmarks: the real programs from the end-to-end harness
// (livestream-ingest, livestream-transcoder, ffmpeg encoders), CPU time read from /proc, and
// result printing.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export {
  Ingest,
  Transcoder,
  ffmpegPublish,
  mediaPlaylist,
  smallLadder,
  stopAll,
  waitFor,
  sleep,
  CHROMIUM_FLAGS,
  PLAY_TOKEN,
  Proc,
} from '../test/e2e/transcoder/harness.js';

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS; // utime, stime (fields 14 and 15)
  } catch {
    return 0;
  }
}

/** Child pids of a process (from /proc/<pid>/task/<pid>/children). */
export function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

export function machine(): string {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${load}`;
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

/** The value after a flag on the command line, or the fallback. */
export function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
