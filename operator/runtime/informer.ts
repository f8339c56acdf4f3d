// List+watch for one kind in one namespace (or cluster-wide) into a Cache. What client-node 1.4's own
// informer lacks (docs/decisions/0001): it asks for bookmarks and resumes every watch from the last
// resourceVersion it saw (bookmarks included), relists only on 410 Gone (the diff against the cache
// yields the deletes missed in the gap), retries every other error with backoff instead of stopping,
// and a watchdog aborts a watch that has been silent for too long (a half-open connection never ends
// by itself in 1.4.0). Objects can be slimmed by a transform before they are cached.
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../lib/log.js';
import type { Cache, Meta } from './cache.js';
import { keyOf } from './cache.js';
import { ApiError, type KubeClient, type KubeList } from './rest.js';
import { collectionPath, type ResourceKind } from './resources.js';

export interface InformerMetrics {
  relist(kind: string, reason: string): void;
  watchEnded(kind: string, reason: string): void;
  event(kind: string, type: string): void;
}

export interface InformerOptions<T extends Meta> {
  client: KubeClient;
  kind: ResourceKind;
  cache: Cache<T>;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Keeps only what the operator reads (e.g. Pods as usage records). */
  transform?: (obj: Record<string, unknown>) => T;
  log: Logger;
  metrics?: InformerMetrics;
  /** Server-side watch timeout; each watch ends after about this long and is resumed. */
  watchTimeoutSeconds?: number;
  /** Abort a watch that delivered nothing (not even a bookmark) for this long. */
  stallMs?: number;
  pageSize?: number;
  /** For tests: a watch implementation other than client-node's. */
  watch?: Pick<Watch, 'watch'>;
}

class Gone extends Error {}

export class Informer<T extends Meta> {
  private resourceVersion: string | undefined;
  private synced = false;
  private stopped = false;
  private abortWatch: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private readonly watcher: Pick<Watch, 'watch'>;
  private readonly label: string;

  constructor(private readonly o: InformerOptions<T>) {
    this.watcher = o.watch ?? new Watch(o.client.kubeConfig as KubeConfig);
    this.label = `${o.kind.kind}${o.namespace ? ` in ${o.namespace}` : ''}`;
  }

  get kindName(): string {
    return this.o.kind.kind;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  get lastResourceVersion(): string | undefined {
    return this.resourceVersion;
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abortWatch?.();
    this.wake?.();
    await this.running;
  }

  private wake: (() => void) | undefined;

  /** A retry delay that stop() cuts short. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** Resolves once the first list is in the cache (or rejects when stopped first). */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    while (!this.synced) {
      if (this.stopped || signal?.aborted) throw new Error(`stopped before ${this.label} synced`);
      await sleep(50);
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (this.resourceVersion === undefined) await this.relist();
        await this.watchOnce();
        failures = 0;
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof Gone || (err instanceof ApiError && err.code === 410)) {
          this.o.log.info('watch expired (410 Gone); listing again', { kind: this.label });
          this.o.metrics?.relist(this.o.kind.kind, 'expired');
          this.resourceVersion = undefined;
          continue;
        }
        failures++;
        const delay = Math.min(30_000, 250 * 2 ** Math.min(failures, 7));
        this.o.log.warn('list/watch failed; retrying', { kind: this.label, err, retryInMs: delay });
        this.o.metrics?.watchEnded(this.o.kind.kind, 'error');
        await this.pause(delay);
      }
    }
  }

  /** A full, paginated list; the cache is replaced (missing objects get delete events). */
  async relist(): Promise<void> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv: string | undefined;
    do {
      const page = await this.o.client.get<KubeList<Record<string, unknown>>>(
        collectionPath(this.o.kind, this.o.namespace),
        {
          labelSelector: this.o.labelSelector,
          fieldSelector: this.o.fieldSelector,
          limit: this.o.pageSize ?? 500,
          continue: cont,
        },
      );
      for (const item of page.items) items.push(this.shape(item));
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion;
    } while (cont);
    this.o.cache.replace(items, this.o.namespace);
    this.resourceVersion = rv;
    this.synced = true;
    this.o.metrics?.relist(this.o.kind.kind, 'list');
  }

  private shape(obj: Record<string, unknown>): T {
    // managedFields are a large share of every object and nothing here reads them.
    const meta = obj.metadata as Record<string, unknown> | undefined;
    if (meta) delete meta.managedFields;
    if (this.o.transform) return this.o.transform(obj);
    const rk = this.o.kind;
    return { apiVersion: rk.apiVersion, kind: rk.kind, ...obj } as unknown as T;
  }

  private watchOnce(): Promise<void> {
    const timeoutSeconds = this.o.watchTimeoutSeconds ?? 240 + Math.floor(Math.random() * 60);
    const stallMs = this.o.stallMs ?? (timeoutSeconds + 60) * 1000;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let controller: AbortController | undefined;
      let watchdog: NodeJS.Timeout | undefined;
      const finish = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(watchdog);
        this.abortWatch = undefined;
        controller?.abort();
        if (err) reject(err);
        else resolve();
      };
      const feed = (): void => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          this.o.log.warn('watch silent for too long; restarting it', { kind: this.label, stallMs });
          this.o.metrics?.watchEnded(this.o.kind.kind, 'stalled');
          finish();
        }, stallMs);
      };
      this.abortWatch = () => finish();
      feed();
      const onEvent = (type: string, obj: Record<string, unknown>): void => {
        feed();
        this.o.metrics?.event(this.o.kind.kind, type);
        const meta = (obj.metadata ?? {}) as { resourceVersion?: string };
        if (type === 'ERROR') {
          const status = obj as { code?: number; message?: string };
          finish(
            status.code === 410 ? new Gone(status.message) : new Error(`watch error: ${status.message}`),
          );
          return;
        }
        if (type === 'BOOKMARK') {
          this.resourceVersion = meta.resourceVersion ?? this.resourceVersion;
          return;
        }
        const item = this.shape(obj);
        if (type === 'DELETED') this.o.cache.remove(keyOf(item));
        else this.o.cache.upsert(item);
        this.resourceVersion = meta.resourceVersion ?? this.resourceVersion;
      };
      const path = collectionPath(this.o.kind, this.o.namespace);
      this.watcher
        .watch(
          path,
          {
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds,
            labelSelector: this.o.labelSelector,
            fieldSelector: this.o.fieldSelector,
          },
          onEvent,
          (err: unknown) => {
            this.o.metrics?.watchEnded(this.o.kind.kind, err ? 'error' : 'closed');
            const code = (err as { statusCode?: number } | null)?.statusCode;
            finish(code === 410 ? new Gone('410 Gone') : (err ?? undefined));
          },
        )
        .then(
          (c) => {
            controller = c;
            if (settled) c.abort();
          },
          (err: unknown) => finish(err),
        );
    });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
