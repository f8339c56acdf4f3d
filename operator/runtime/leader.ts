// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: take the
// Lease when it is free or expired, renew it every retry period, step down when a renewal has not
// succeeded within the renew deadline; on shutdown release it (holderIdentity cleared) so a standby
// takes over at once instead of waiting for the lease to expire. Optimistic concurrency through the
// Lease's resourceVersion: two candidates never both believe they lead.
import type { Logger } from '../../lib/log.js';
import { microTime } from './conditions.js';
import { isConflict, isNotFound, type KubeClient } from './rest.js';
import { collectionPath, kinds, objectPath } from './resources.js';

export interface LeaderOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: Logger;
  onStartedLeading: () => void;
  /** Leadership lost (not released by us): the process must stop working at once. */
  onStoppedLeading: () => void;
  onChange?: (leading: boolean) => void;
  now?: () => Date;
}

interface Lease {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private lease: Lease | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** When we last saw the lease change hands or renew (our clock), to judge expiry of others. */
  private observed: { rv?: string; at: number } = { at: 0 };

  constructor(private readonly o: LeaderOptions) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops campaigning; when leading, releases the Lease so another replica can take it at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    if (this.leading) await this.release();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const ok = await this.tryAcquireOrRenew().catch((err: unknown) => {
        this.o.log.warn('leader election: lease request failed', { lease: this.o.name, err });
        return false;
      });
      if (ok && !this.leading && !this.stopped) {
        this.setLeading(true);
        this.o.log.info('became the leader', {
          lease: `${this.o.namespace}/${this.o.name}`,
          identity: this.o.identity,
        });
        this.o.onStartedLeading();
      }
      if (ok) this.lastRenew = Date.now();
      if (!ok && this.leading && Date.now() - this.lastRenew > this.o.renewDeadlineMs) {
        this.setLeading(false);
        this.o.log.error('lost the leader lease (no renewal within the renew deadline)', {
          lease: this.o.name,
        });
        this.o.onStoppedLeading();
        return;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.o.retryPeriodMs);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  private lastRenew = 0;

  private setLeading(value: boolean): void {
    this.leading = value;
    this.o.onChange?.(value);
  }

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity } = this.o;
    const path = objectPath(kinds.Lease, namespace, name);
    const now = this.now();
    const durationSeconds = Math.ceil(this.o.leaseDurationMs / 1000);
    let lease: Lease;
    try {
      lease = await client.get<Lease>(path);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const created = await client
        .create<Lease>(
          collectionPath(kinds.Lease, namespace),
          {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: durationSeconds,
              acquireTime: microTime(now),
              renewTime: microTime(now),
              leaseTransitions: 0,
            },
          },
          'livestream-operator',
        )
        .catch((e: unknown) => {
          if (isConflict(e)) return undefined; // someone else created it first
          throw e;
        });
      this.lease = created;
      return created !== undefined;
    }
    if (lease.metadata.resourceVersion !== this.observed.rv)
      this.observed = { rv: lease.metadata.resourceVersion, at: Date.now() };
    const holder = lease.spec.holderIdentity ?? '';
    const held = holder !== '' && holder !== identity;
    const expired =
      Date.now() - this.observed.at > (lease.spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (held && !expired) return false;
    const taking = holder !== identity;
    const next: Lease = {
      ...lease,
      spec: {
        ...lease.spec,
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        renewTime: microTime(now),
        acquireTime: taking ? microTime(now) : lease.spec.acquireTime,
        leaseTransitions: (lease.spec.leaseTransitions ?? 0) + (taking && holder !== '' ? 1 : 0),
      },
    };
    try {
      this.lease = await client.replace<Lease>(path, next, 'livestream-operator');
      this.observed = { rv: this.lease.metadata.resourceVersion, at: Date.now() };
      return true;
    } catch (err) {
      if (isConflict(err)) return false; // another candidate wrote first
      throw err;
    }
  }

  private async release(): Promise<void> {
    const lease = this.lease;
    this.setLeading(false);
    if (!lease) return;
    try {
      await this.o.client.replace(
        objectPath(kinds.Lease, this.o.namespace, this.o.name),
        {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: null,
            leaseDurationSeconds: 1,
            renewTime: microTime(this.now()),
            acquireTime: null,
          },
        },
        'livestream-operator',
      );
      this.o.log.info('released the leader lease', { lease: this.o.name });
    } catch (err) {
      this.o.log.warn('could not release the leader lease (it expires by itself)', {
        lease: this.o.name,
        err,
      });
    }
  }
}
