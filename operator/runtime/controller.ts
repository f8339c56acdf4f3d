// Runs one reconciler over a work queue with N workers: the controller-runtime contract. A reconcile
// gets a key (namespace/name) and returns done, "requeue after" a delay, or throws (retried with the
// queue's rate limiter); a TerminalError is logged and not retried. stop() lets in-flight reconciles
// finish (SIGTERM drains) and hands out nothing new.
import type { Logger } from '../../lib/log.js';
import type { RuntimeMetrics } from './metrics.js';
import { WorkQueue } from './queue.js';
import { defaultRateLimiter } from './ratelimit.js';

export interface Result {
  /** Reconcile the key again after this many milliseconds (a periodic check, a timeout). */
  requeueAfterMs?: number;
}

export type Reconciler = (key: string) => Promise<Result | void>;

/** An error that retrying cannot fix (the status already says so). */
export class TerminalError extends Error {
  override name = 'TerminalError';
}

export interface ControllerOptions {
  name: string;
  workers: number;
  reconcile: Reconciler;
  log: Logger;
  metrics: RuntimeMetrics;
}

export class Controller {
  readonly queue: WorkQueue;
  private workers: Promise<void>[] = [];
  private active = 0;

  constructor(private readonly o: ControllerOptions) {
    this.queue = new WorkQueue(o.name, defaultRateLimiter(), o.metrics.queue(o.name));
    o.metrics.trackQueue(this.queue);
    o.metrics.controller(o.name, o.workers);
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  start(): void {
    if (this.workers.length) return;
    for (let i = 0; i < this.o.workers; i++) this.workers.push(this.work());
  }

  /** Stops handing out keys and waits for in-flight reconciles to finish. */
  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.workers);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      await this.processOne(key);
    }
  }

  private async processOne(key: string): Promise<void> {
    const { name, metrics, log } = this.o;
    this.active++;
    metrics.activeWorkers.set({ controller: name }, this.active);
    const end = metrics.reconcileTime.startTimer({ controller: name });
    try {
      const result = (await this.o.reconcile(key)) ?? {};
      this.queue.forget(key);
      if (result.requeueAfterMs !== undefined) {
        this.queue.addAfter(key, result.requeueAfterMs);
        metrics.reconcileTotal.inc({ controller: name, result: 'requeue_after' });
      } else metrics.reconcileTotal.inc({ controller: name, result: 'success' });
    } catch (err) {
      metrics.reconcileTotal.inc({ controller: name, result: 'error' });
      metrics.reconcileErrors.inc({ controller: name });
      if (err instanceof TerminalError) {
        this.queue.forget(key);
        log.error('reconcile failed; not retrying', { controller: name, object: key, err });
      } else {
        log.warn('reconcile failed; retrying with backoff', {
          controller: name,
          object: key,
          retries: this.queue.retries(key),
          err,
        });
        this.queue.addRateLimited(key);
      }
    } finally {
      end();
      this.active--;
      metrics.activeWorkers.set({ controller: name }, this.active);
      this.queue.done(key);
    }
  }
}
