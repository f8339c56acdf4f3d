// A de-duplicated work queue with client-go's semantics: a key waits once however often it is added;
// a key being processed is never handed out again until done(), and one added meanwhile is marked
// dirty and queued again at done(); delayed and rate-limited adds wait in timers. Metrics hooks carry
// the workqueue_* series.
import type { RateLimiter } from './ratelimit.js';
import { defaultRateLimiter } from './ratelimit.js';

export interface QueueMetrics {
  add(): void;
  depth(n: number): void;
  retry(): void;
  /** Seconds a key waited in the queue before a worker took it. */
  queued(seconds: number): void;
  /** Seconds a worker spent on a key. */
  worked(seconds: number): void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly addedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;

  constructor(
    readonly name: string,
    private readonly limiter: RateLimiter = defaultRateLimiter(),
    private readonly metrics?: QueueMetrics,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get length(): number {
    return this.queue.length;
  }

  get inFlight(): number {
    return this.processing.size;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics?.add();
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds the key after `ms` (an earlier pending delay for the same key wins). */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Adds the key after its rate limiter's delay (a failed reconcile). */
  addRateLimited(key: string): void {
    this.metrics?.retry();
    this.addAfter(key, this.limiter.when(key));
  }

  /** Clears the key's failure history (a successful reconcile). */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  retries(key: string): number {
    return this.limiter.retries(key);
  }

  /** The next key, waiting for one; undefined once shut down and empty. */
  get(): Promise<string | undefined> {
    const key = this.take();
    if (key !== undefined || this.shuttingDown) return Promise.resolve(key);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    const started = this.startedAt.get(key);
    this.startedAt.delete(key);
    if (started !== undefined) this.metrics?.worked((this.now() - started) / 1000);
    if (this.dirty.has(key)) this.push(key);
  }

  /** Seconds of work in flight now and the longest-running key's seconds (workqueue_unfinished_work_seconds). */
  unfinished(): { total: number; longest: number } {
    const t = this.now();
    let total = 0;
    let longest = 0;
    for (const s of this.startedAt.values()) {
      total += (t - s) / 1000;
      longest = Math.max(longest, (t - s) / 1000);
    }
    return { total, longest };
  }

  /** Stops handing out keys: waiting get() calls resolve undefined; delayed adds are dropped. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    this.dirty.clear();
    this.metrics?.depth(0);
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  private push(key: string): void {
    this.queue.push(key);
    this.addedAt.set(key, this.now());
    this.metrics?.depth(this.queue.length);
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.take());
  }

  private take(): string | undefined {
    const key = this.queue.shift();
    if (key === undefined) return undefined;
    this.metrics?.depth(this.queue.length);
    this.dirty.delete(key);
    this.processing.add(key);
    const t = this.now();
    const added = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (added !== undefined) this.metrics?.queued((t - added) / 1000);
    this.startedAt.set(key, t);
    return key;
  }
}
