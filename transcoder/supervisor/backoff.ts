// Exponential restart delay: initial, 2x, 4x ... up to max; a run that encoded long enough resets it.
export class Backoff {
  private failures = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
  ) {}

  /** The delay before the next start after a failed run. */
  next(): number {
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** this.failures);
    this.failures += 1;
    return delay;
  }

  reset(): void {
    this.failures = 0;
  }
}
