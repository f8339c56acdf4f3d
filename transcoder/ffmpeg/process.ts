// A small spawn wrapper for one ffmpeg run: progress blocks from stdout (-progress pipe:1), the
// last stderr lines kept for the exit reason, and a stop that asks ffmpeg to finish its files
// (SIGTERM writes the last segment and playlist) before it forces the end (SIGKILL after a grace).
import { spawn, type ChildProcess } from 'node:child_process';
import { ProgressParser, type Progress } from './progress.js';

export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines ffmpeg wrote to stderr (its errors and warnings). */
  stderrTail: string[];
}

export interface FfmpegRunOptions {
  binary?: string;
  args: string[];
  env?: Record<string, string>;
  cwd: string;
  onProgress?: (p: Progress) => void;
  onStderrLine?: (line: string) => void;
}

const TAIL_LINES = 20;

export class FfmpegProcess {
  readonly exited: Promise<FfmpegExit>;
  private readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private exit: FfmpegExit | undefined;

  constructor(options: FfmpegRunOptions) {
    this.child = spawn(options.binary ?? 'ffmpeg', options.args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const parser = new ProgressParser((p) => options.onProgress?.(p));
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => parser.push(chunk));
    let partial = '';
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines.map((l) => l.trim()).filter(Boolean)) {
        this.tail.push(line);
        if (this.tail.length > TAIL_LINES) this.tail.shift();
        options.onStderrLine?.(line);
      }
    });
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.exit) return;
        this.exit = { code, signal, stderrTail: [...this.tail] };
        resolve(this.exit);
      };
      this.child.on('error', (err) => {
        this.tail.push(`cannot start ffmpeg: ${err.message}`);
        done(127, null);
      });
      this.child.on('close', done);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** SIGTERM (ffmpeg finishes its segment and playlists), SIGKILL after graceMs. */
  async stop(graceMs: number): Promise<FfmpegExit> {
    if (this.exit) return this.exit;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}
