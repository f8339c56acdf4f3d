// Graceful shutdown on SIGTERM/SIGINT: run the registered stop functions once, in reverse order of
// registration, and exit when they finish or when the grace period runs out.
import type { Logger } from './log.js';

export interface ShutdownOptions {
  graceMs: number;
  log: Logger;
  exit?: (code: number) => void;
}

export class Shutdown {
  private readonly steps: { name: string; stop: () => Promise<void> | void }[] = [];
  private started = false;
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();

  constructor(private readonly options: ShutdownOptions) {
    this.signal = this.controller.signal;
  }

  /** Registers a stop step; steps run in reverse order (last started, first stopped). */
  add(name: string, stop: () => Promise<void> | void): void {
    this.steps.push({ name, stop });
  }

  listen(signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): void {
    for (const sig of signals) process.once(sig, () => void this.run(sig));
  }

  async run(reason: string): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.controller.abort();
    const { log, graceMs } = this.options;
    const exit = this.options.exit ?? ((code: number) => process.exit(code));
    log.info('shutting down', { reason, graceMs });
    const timer = setTimeout(() => {
      log.error('shutdown grace period ran out; exiting with work still in flight', { graceMs });
      exit(1);
    }, graceMs);
    timer.unref();
    let code = 0;
    for (const step of [...this.steps].reverse()) {
      try {
        await step.stop();
      } catch (err) {
        code = 1;
        log.error('stop step failed', { step: step.name, err });
      }
    }
    clearTimeout(timer);
    log.info('stopped', { reason });
    exit(code);
  }
}
