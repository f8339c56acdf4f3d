// Kubernetes Events (events.k8s.io/v1) for what a user must see (kubectl describe / kubectl events).
// The same reason and note for one object within `dedupeMs` is recorded once: callers emit on
// transitions, and this keeps a flapping condition from flooding the API server. Notes never carry
// secrets (stream keys live only in Secrets).
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../lib/log.js';
import { microTime } from './conditions.js';
import type { KubeClient, KubeObject } from './rest.js';
import { collectionPath, kinds } from './resources.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  client: KubeClient;
  controller: string;
  instance: string;
  log: Logger;
  dedupeMs?: number;
}

export class EventRecorder {
  private readonly recent = new Map<string, number>();

  constructor(private readonly o: EventRecorderOptions) {}

  /** Records an event; failures are logged, never thrown (events are best effort). */
  async record(
    regarding: KubeObject,
    type: EventType,
    reason: string,
    action: string,
    note: string,
  ): Promise<void> {
    const { namespace, name, uid } = regarding.metadata;
    const key = `${uid}|${reason}|${note}`;
    const now = Date.now();
    const last = this.recent.get(key);
    if (last !== undefined && now - last < (this.o.dedupeMs ?? 10 * 60_000)) return;
    this.recent.set(key, now);
    if (this.recent.size > 10_000) this.prune(now);
    const at = new Date();
    const body = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      // client-go's naming: <object>.<unique hex> (generateName would need a name ending in an alphanumeric).
      metadata: { name: `${name}.${randomBytes(8).toString('hex')}`, namespace },
      eventTime: microTime(at),
      reportingController: this.o.controller,
      reportingInstance: this.o.instance.slice(0, 128),
      action,
      reason,
      type,
      note: note.slice(0, 1024),
      regarding: {
        apiVersion: regarding.apiVersion,
        kind: regarding.kind,
        namespace,
        name,
        uid,
        resourceVersion: regarding.metadata.resourceVersion,
      },
    };
    try {
      await this.o.client.create(collectionPath(kinds.Event, namespace), body, 'livestream-operator');
    } catch (err) {
      this.o.log.warn('could not record an event', { reason, object: `${namespace}/${name}`, err });
    }
  }

  private prune(now: number): void {
    for (const [k, t] of this.recent) if (now - t > (this.o.dedupeMs ?? 10 * 60_000)) this.recent.delete(k);
  }
}
