// The operator's Prometheus metrics, on its own registry (no prom-client globals): controller-runtime's
// names for reconciles, work queues, leader election and the REST client, so dashboards written for
// Go operators work unchanged; livestream_operator_informer_* for the caches.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { InformerMetrics } from './informer.js';
import type { QueueMetrics, WorkQueue } from './queue.js';

const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class RuntimeMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Total number of reconciliations per controller',
    labelNames: ['controller', 'result'],
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Total number of reconciliation errors per controller',
    labelNames: ['controller'],
    registers: [this.registry],
  });
  readonly reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of time per reconciliation per controller',
    labelNames: ['controller'],
    buckets: durationBuckets,
    registers: [this.registry],
  });
  readonly activeWorkers = new Gauge({
    name: 'controller_runtime_active_workers',
    help: 'Number of currently used workers per controller',
    labelNames: ['controller'],
    registers: [this.registry],
  });
  readonly maxConcurrent = new Gauge({
    name: 'controller_runtime_max_concurrent_reconciles',
    help: 'Maximum number of concurrent reconciles per controller',
    labelNames: ['controller'],
    registers: [this.registry],
  });
  private readonly wqDepth = new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of workqueue',
    labelNames: ['name', 'controller'],
    registers: [this.registry],
  });
  private readonly wqAdds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by workqueue',
    labelNames: ['name', 'controller'],
    registers: [this.registry],
  });
  private readonly wqRetries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Total number of retries handled by workqueue',
    labelNames: ['name', 'controller'],
    registers: [this.registry],
  });
  private readonly wqQueue = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long in seconds an item stays in workqueue before being requested',
    labelNames: ['name', 'controller'],
    buckets: durationBuckets,
    registers: [this.registry],
  });
  private readonly wqWork = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long in seconds processing an item from workqueue takes',
    labelNames: ['name', 'controller'],
    buckets: durationBuckets,
    registers: [this.registry],
  });
  private readonly wqUnfinished = new Gauge({
    name: 'workqueue_unfinished_work_seconds',
    help: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration",
    labelNames: ['name', 'controller'],
    registers: [this.registry],
    // A figure of the moment: read at scrape time.
    collect: () => this.collectUnfinished(),
  });
  private readonly wqLongest = new Gauge({
    name: 'workqueue_longest_running_processor_seconds',
    help: 'How many seconds has the longest running processor for workqueue been running',
    labelNames: ['name', 'controller'],
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'leader_election_master_status',
    help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master',
    labelNames: ['name'],
    registers: [this.registry],
  });
  readonly restRequests = new Counter({
    name: 'rest_client_requests_total',
    help: 'Number of HTTP requests, partitioned by status code, method, and host',
    labelNames: ['code', 'method', 'host'],
    registers: [this.registry],
  });
  /** Set by the manager: objects per cache, read at scrape time. */
  cacheSizes: () => Record<string, number> = () => ({});
  /** Set by the manager: which caches have their first list. */
  cacheSynced: () => Record<string, boolean> = () => ({});
  readonly informerObjects = new Gauge({
    name: 'livestream_operator_informer_objects',
    help: 'Objects held in the cache of each kind',
    labelNames: ['kind'],
    registers: [this.registry],
    collect: () => {
      for (const [kind, n] of Object.entries(this.cacheSizes())) this.informerObjects.set({ kind }, n);
    },
  });
  readonly informerLists = new Counter({
    name: 'livestream_operator_informer_lists_total',
    help: 'Full lists per kind: list (start and after each 410), expired (a watch answered 410 Gone)',
    labelNames: ['kind', 'reason'],
    registers: [this.registry],
  });
  readonly informerWatchEnds = new Counter({
    name: 'livestream_operator_informer_watch_ends_total',
    help: 'Watches that ended, by reason: closed (server timeout, resumed), error, stalled (the watchdog aborted a silent watch)',
    labelNames: ['kind', 'reason'],
    registers: [this.registry],
  });
  readonly informerEvents = new Counter({
    name: 'livestream_operator_informer_events_total',
    help: 'Watch events received per kind and type (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR)',
    labelNames: ['kind', 'type'],
    registers: [this.registry],
  });
  readonly informerSynced = new Gauge({
    name: 'livestream_operator_informer_synced',
    help: '1 once the first list of the kind is in the cache',
    labelNames: ['kind'],
    registers: [this.registry],
    collect: () => {
      for (const [kind, ok] of Object.entries(this.cacheSynced()))
        this.informerSynced.set({ kind }, ok ? 1 : 0);
    },
  });
  private readonly queues: WorkQueue[] = [];

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  private collectUnfinished(): void {
    for (const q of this.queues) {
      const { total, longest } = q.unfinished();
      this.wqUnfinished.set({ name: q.name, controller: q.name }, total);
      this.wqLongest.set({ name: q.name, controller: q.name }, longest);
    }
  }

  /** Registers a controller: its error counter starts at 0 so rate() works before the first failure. */
  controller(name: string, workers: number): void {
    this.reconcileErrors.inc({ controller: name }, 0);
    for (const result of ['success', 'error', 'requeue', 'requeue_after'])
      this.reconcileTotal.inc({ controller: name, result }, 0);
    this.maxConcurrent.set({ controller: name }, workers);
    this.activeWorkers.set({ controller: name }, 0);
  }

  queue(name: string): QueueMetrics {
    const labels = { name, controller: name };
    this.wqDepth.set(labels, 0);
    this.wqAdds.inc(labels, 0);
    this.wqRetries.inc(labels, 0);
    this.wqUnfinished.set(labels, 0);
    this.wqLongest.set(labels, 0);
    return {
      add: () => this.wqAdds.inc(labels),
      depth: (n) => this.wqDepth.set(labels, n),
      retry: () => this.wqRetries.inc(labels),
      queued: (s) => this.wqQueue.observe(labels, s),
      worked: (s) => this.wqWork.observe(labels, s),
    };
  }

  trackQueue(queue: WorkQueue): void {
    this.queues.push(queue);
  }

  informer(): InformerMetrics {
    return {
      relist: (kind, reason) => this.informerLists.inc({ kind, reason }),
      watchEnded: (kind, reason) => this.informerWatchEnds.inc({ kind, reason }),
      event: (kind, type) => this.informerEvents.inc({ kind, type }),
    };
  }
}
