// Encoding speed over a recent window (output time gained / wall time passed), not ffmpeg's
// cumulative figure: after an hour at real time, a transcoder that falls behind shows within
// seconds here, while ffmpeg's own `speed` would stay near 1.0 for a long time.
export class SpeedWindow {
  private samples: { atMs: number; outUs: number }[] = [];

  constructor(private readonly windowMs: number) {}

  add(atMs: number, outUs: number): void {
    this.samples.push({ atMs, outUs });
    while (this.samples.length > 2 && atMs - this.samples[1]!.atMs >= this.windowMs) this.samples.shift();
  }

  /** Speed over the window, or null until the samples span at least half of it. */
  speed(): number | null {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.atMs - first.atMs < this.windowMs / 2) return null;
    return (last.outUs - first.outUs) / 1000 / (last.atMs - first.atMs);
  }

  clear(): void {
    this.samples = [];
  }
}
