// A secret read from a mounted file (a Kubernetes Secret volume) and re-read when it changes, so a
// rotated stream key or play token takes effect without a restart. Polling rather than fs.watch:
// kubelet swaps the volume's `..data` symlink, which inotify on the file itself does not report.
import { readFileSync } from 'node:fs';
import { secretFromFile, secretProblem } from './keys.js';

export interface SecretFileOptions {
  /** What the secret is, for messages: "stream key", "play token". */
  name: string;
  path: string;
  pollIntervalMs: number;
  /** Reads the file; tests pass a fake. */
  read?: (path: string) => Promise<string>;
}

export type SecretState = { value: string; problem?: undefined } | { value?: undefined; problem: string };

export interface SecretChange {
  /** The previous valid value (undefined on the first load). */
  previous: string | undefined;
  current: string;
}

export class SecretFile {
  private state: SecretState = { problem: 'not loaded yet' };
  private timer: NodeJS.Timeout | undefined;
  private readonly read: (path: string) => Promise<string>;
  private listeners: ((change: SecretChange) => void)[] = [];
  private errorListeners: ((problem: string) => void)[] = [];
  private lastProblem: string | undefined;

  constructor(private readonly options: SecretFileOptions) {
    // A synchronous read of a few bytes is cheaper than the promise API's open/stat/read/close
    // round trips through the thread pool, every poll, for the life of the pod.
    this.read = options.read ?? (async (p) => readFileSync(p, 'utf8'));
  }

  /** The current valid secret, or undefined when none has been loaded. */
  get value(): string | undefined {
    return this.state.value;
  }

  /** Why there is no valid secret (only while `value` is undefined). */
  get problem(): string | undefined {
    return this.state.problem;
  }

  /** Called with the new value whenever the file's valid content changes. */
  onChange(listener: (change: SecretChange) => void): void {
    this.listeners.push(listener);
  }

  /** Called when a (re)load fails; the last valid value stays in use. */
  onError(listener: (problem: string) => void): void {
    this.errorListeners.push(listener);
  }

  /** Loads once and starts polling. Never throws: a problem is kept and reported. */
  async start(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => void this.reload(), this.options.pollIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the file now; returns true when the valid value changed. */
  async reload(): Promise<boolean> {
    let content: string;
    try {
      content = await this.read(this.options.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return this.fail(
        `${this.options.name} file ${this.options.path} cannot be read (${code ?? String(err)})`,
      );
    }
    const value = secretFromFile(content);
    const problem = secretProblem(value);
    if (problem) return this.fail(`${this.options.name} in ${this.options.path} ${problem}`);
    this.lastProblem = undefined;
    const previous = this.state.value;
    if (previous === value) return false;
    this.state = { value };
    for (const listener of this.listeners) listener({ previous, current: value });
    return true;
  }

  private fail(problem: string): false {
    // Keep serving the last valid secret: a half-written or briefly missing file during a rotation
    // must not lock the encoder out.
    if (this.state.value === undefined) this.state = { problem };
    if (problem !== this.lastProblem) {
      this.lastProblem = problem;
      for (const listener of this.errorListeners) listener(problem);
    }
    return false;
  }
}
