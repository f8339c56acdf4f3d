// Live figures from the data plane: every few seconds each stream's ready ingest and transcoder pods
// are asked for GET http://<podIP>:9090/status (1 s timeout). A stream is enqueued when what its
// status shows changes (publishing started or stopped, transcoder state, figures past the rounding);
// the reconcile reads the latest answer from here, never waiting on the network itself.
import type { IngestStatus } from '../../../ingest/status.js';
import type { TranscoderStatus } from '../../../transcoder/status.js';
import type { Logger } from '../../../lib/log.js';

export type LiveView =
  | { kind: 'disabled' }
  /** Not asked yet since this process started: status keeps what it said before. */
  | { kind: 'pending' }
  | { kind: 'noPods' }
  | { kind: 'unreachable'; message: string }
  | { kind: 'ok'; ingest: IngestStatus; transcoder?: TranscoderStatus };

export interface LiveTarget {
  ingestIP?: string;
  transcoderIP?: string;
}

export const ADMIN_PORT = 9090;

export interface LivePollerOptions {
  enabled: boolean;
  intervalMs: number;
  timeoutMs: number;
  concurrency: number;
  /** The streams to poll now and the pod IPs of each (ready pods only). */
  targets: () => Map<string, LiveTarget>;
  /** Called when a stream's view changed in a way its status shows. */
  changed: (key: string) => void;
  /** What status would show of a view: the poller compares these to decide whether to enqueue. */
  signature: (view: LiveView) => string;
  log: Logger;
  fetchImpl?: typeof fetch;
}

export class LivePoller {
  private readonly views = new Map<string, LiveView>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private polledOnce = false;

  constructor(private readonly o: LivePollerOptions) {}

  view(key: string): LiveView {
    if (!this.o.enabled) return { kind: 'disabled' };
    return this.views.get(key) ?? (this.polledOnce ? { kind: 'noPods' } : { kind: 'pending' });
  }

  forget(key: string): void {
    this.views.delete(key);
  }

  start(): void {
    if (!this.o.enabled || this.timer) return;
    const tick = (): void => {
      if (this.stopped) return;
      this.running = this.pollAll().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.o.intervalMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  async pollAll(): Promise<void> {
    const targets = this.o.targets();
    const entries = [...targets];
    for (const key of this.views.keys()) if (!targets.has(key)) this.views.delete(key);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < entries.length && !this.stopped) {
        const [key, target] = entries[next++]!;
        const view = await this.pollOne(target);
        const before = this.views.get(key);
        this.views.set(key, view);
        if (!before || this.o.signature(before) !== this.o.signature(view)) this.o.changed(key);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.o.concurrency) }, worker));
    this.polledOnce = true;
  }

  private async pollOne(t: LiveTarget): Promise<LiveView> {
    if (!t.ingestIP) return { kind: 'noPods' };
    const ingest = await this.get<IngestStatus>(t.ingestIP);
    if (!ingest.ok)
      return {
        kind: 'unreachable',
        message: `the ingest's status endpoint ${url(t.ingestIP)} did not answer (${ingest.error}); simulated pods (kwok) have no endpoint to ask`,
      };
    if (!t.transcoderIP) return { kind: 'ok', ingest: ingest.value };
    const transcoder = await this.get<TranscoderStatus>(t.transcoderIP);
    if (!transcoder.ok)
      return {
        kind: 'unreachable',
        message: `the transcoder's status endpoint ${url(t.transcoderIP)} did not answer (${transcoder.error})`,
      };
    return { kind: 'ok', ingest: ingest.value, transcoder: transcoder.value };
  }

  private async get<T>(ip: string): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
    const f = this.o.fetchImpl ?? fetch;
    try {
      const res = await f(url(ip), { signal: AbortSignal.timeout(this.o.timeoutMs) });
      if (!res.ok) return { ok: false, error: `HTTP ${res.status}` };
      return { ok: true, value: (await res.json()) as T };
    } catch (err) {
      const e = err as Error;
      return {
        ok: false,
        error: e.name === 'TimeoutError' ? `no answer within ${this.o.timeoutMs} ms` : e.message,
      };
    }
  }
}

function url(ip: string): string {
  return `http://${ip.includes(':') ? `[${ip}]` : ip}:${ADMIN_PORT}/status`;
}
