// The operator process: caches and informers, the two controllers and their event wiring, leader
// election, the live-status poller and the HTTP server. Standby replicas keep their caches warm and
// are ready; only the leader runs workers. Shutdown order: stop handing out work and drain in-flight
// reconciles, release the Lease, stop watches, close the HTTP server.
import type { Logger } from '../lib/log.js';
import { HttpServer } from '../lib/http.js';
import type { LiveStream, TranscodeProfile } from './api/v1alpha1/index.js';
import type { BuildContext } from './build/index.js';
import type { PlacementPolicy } from './placement/index.js';
import { BY_PROFILE, createCaches, createInformers, type Caches } from './cluster/caches.js';
import { COMPONENT_LABEL, nodePlacementChanged, STREAM_LABEL, type PodUsage } from './cluster/usage.js';
import { LivePoller, type LiveTarget, type LiveView } from './controllers/livestream/live.js';
import { StreamMetrics } from './controllers/livestream/metrics.js';
import { LiveStreamReconciler } from './controllers/livestream/reconcile.js';
import { ProfileReconciler } from './controllers/profile/reconcile.js';
import { keyOf } from './runtime/cache.js';
import { Controller } from './runtime/controller.js';
import { EventRecorder } from './runtime/events.js';
import type { Informer } from './runtime/informer.js';
import { LeaderElector } from './runtime/leader.js';
import { RuntimeMetrics } from './runtime/metrics.js';
import type { KubeClient, KubeObject } from './runtime/rest.js';

export interface ManagerOptions {
  client: KubeClient;
  log: Logger;
  identity: string;
  workers: number;
  namespaces: string[];
  http: { host: string; port: number };
  leaderElection?: {
    namespace: string;
    name: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  policy: PlacementPolicy;
  build: BuildContext;
  clusterDomain: string;
  unschedulableTimeoutMs: number;
  liveStatus: { enabled: boolean; intervalMs: number; timeoutMs: number };
  resyncMs: number;
}

export class Manager {
  readonly metrics = new RuntimeMetrics();
  readonly caches: Caches = createCaches();
  private readonly informers: Informer<never>[];
  readonly streams: Controller;
  readonly profiles: Controller;
  private readonly leader: LeaderElector | undefined;
  private readonly live: LivePoller;
  private readonly http: HttpServer;
  private leading = false;
  private stopping = false;

  constructor(private readonly o: ManagerOptions) {
    const { client, log } = o;
    client.observe((method, code, host) => this.metrics.restRequests.inc({ method, code, host }));
    this.informers = createInformers({
      client,
      caches: this.caches,
      namespaces: o.namespaces,
      log,
      metrics: this.metrics,
    });
    const events = new EventRecorder({
      client,
      controller: 'livestream-operator.io/livestream-operator',
      instance: o.identity,
      log,
    });
    const streamMetrics = new StreamMetrics(this.metrics.registry);
    this.live = new LivePoller({
      ...o.liveStatus,
      concurrency: 32,
      targets: () => this.liveTargets(),
      changed: (key) => this.streams.enqueue(key),
      signature: liveSignature,
      log,
    });
    const lsr = new LiveStreamReconciler({
      client,
      caches: this.caches,
      events,
      log,
      policy: o.policy,
      build: o.build,
      clusterDomain: o.clusterDomain,
      unschedulableTimeoutMs: o.unschedulableTimeoutMs,
      live: this.live,
      metrics: streamMetrics,
      resyncMs: o.resyncMs,
    });
    const pr = new ProfileReconciler({ client, caches: this.caches });
    this.streams = new Controller({
      name: 'livestream',
      workers: o.workers,
      reconcile: (k) => lsr.reconcile(k),
      log,
      metrics: this.metrics,
    });
    this.profiles = new Controller({
      name: 'transcodeprofile',
      workers: Math.max(1, Math.ceil(o.workers / 4)),
      reconcile: (k) => pr.reconcile(k),
      log,
      metrics: this.metrics,
    });
    this.wire();
    if (o.leaderElection) {
      const le = o.leaderElection;
      this.metrics.leader.set({ name: le.name }, 0);
      this.leader = new LeaderElector({
        client,
        ...le,
        identity: o.identity,
        log,
        onStartedLeading: () => this.startWork(),
        onStoppedLeading: () => {
          // Another replica may be writing already: stop at once, as controller-runtime does.
          log.error('leadership lost; exiting');
          process.exit(1);
        },
        onChange: (leading) => this.metrics.leader.set({ name: le.name }, leading ? 1 : 0),
      });
    }
    this.metrics.cacheSizes = () =>
      Object.fromEntries(
        Object.values(this.caches).map((c: { name: string; size: number }) => [c.name, c.size]),
      );
    this.metrics.cacheSynced = () => {
      const out: Record<string, boolean> = {};
      for (const i of this.informers) out[i.kindName] = (out[i.kindName] ?? true) && i.hasSynced;
      return out;
    };
    this.http = new HttpServer({ host: o.http.host, port: o.http.port, log }).probes(this.metrics.registry, [
      () => this.notReady(),
    ]);
  }

  private notReady(): string | undefined {
    if (this.stopping) return 'shutting down';
    const pending = this.informers.filter((i) => !i.hasSynced).length;
    return pending ? `${pending} caches not synced yet` : undefined;
  }

  /** Event handlers: which keys a change of each kind enqueues. */
  private wire(): void {
    const c = this.caches;
    const streamKey = (s: LiveStream) => keyOf(s);
    const profileKeyOf = (s: LiveStream) => `${s.metadata.namespace}/${s.spec.profileRef.name}`;
    c.streams.on({
      add: (s) => {
        this.streams.enqueue(streamKey(s));
        this.profiles.enqueue(profileKeyOf(s));
      },
      update: (a, b) => {
        // Our own status writes come back as updates: only a new generation (spec) or a deletion
        // is news (controller-runtime's GenerationChangedPredicate).
        if (!specOrLifecycleChanged(a, b)) return;
        this.streams.enqueue(streamKey(b));
        if (profileKeyOf(a) !== profileKeyOf(b)) this.profiles.enqueue(profileKeyOf(a));
        this.profiles.enqueue(profileKeyOf(b));
      },
      delete: (s) => {
        this.streams.enqueue(streamKey(s));
        this.profiles.enqueue(profileKeyOf(s));
      },
    });
    const profileChanged = (p: TranscodeProfile, specChanged: boolean) => {
      this.profiles.enqueue(keyOf(p));
      if (specChanged)
        for (const s of c.streams.byIndex(BY_PROFILE, keyOf(p))) this.streams.enqueue(keyOf(s));
    };
    c.profiles.on({
      add: (p) => profileChanged(p, true),
      update: (a, b) => specOrLifecycleChanged(a, b) && profileChanged(b, true),
      delete: (p) => profileChanged(p, true),
    });
    const toOwner = (o: KubeObject) => {
      const ref = o.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'LiveStream');
      if (ref) this.streams.enqueue(`${o.metadata.namespace}/${ref.name}`);
    };
    for (const cache of [c.deployments, c.services, c.configMaps, c.secrets])
      cache.on({ add: toOwner, update: (_a, b) => toOwner(b), delete: toOwner });
    const podChanged = (a: PodUsage | undefined, b: PodUsage) => {
      const stream = b.metadata.labels?.[STREAM_LABEL];
      if (stream && podSignature(a) !== podSignature(b))
        this.streams.enqueue(`${b.metadata.namespace}/${stream}`);
    };
    c.pods.on({
      add: (p) => podChanged(undefined, p),
      update: (a, b) => podChanged(a, b),
      delete: (p) => {
        const stream = p.metadata.labels?.[STREAM_LABEL];
        if (stream) this.streams.enqueue(`${p.metadata.namespace}/${stream}`);
        // Capacity freed on a node: streams that could not be placed are tried again.
        if (p.nodeName) this.retryUnplaced();
      },
    });
    c.nodes.on({
      add: () => this.retryUnplaced(),
      update: (a, b) => nodePlacementChanged(a, b) && this.retryUnplaced(),
      delete: () => this.retryUnplaced(),
    });
  }

  /** Streams that could not be placed are tried again when capacity may have appeared. */
  private retryUnplaced(): void {
    for (const s of this.caches.streams.list()) {
      const stalled = s.status?.conditions?.find((x) => x.type === 'Stalled');
      if (stalled?.status === 'True' && stalled.reason !== 'ProfileNotFound') this.streams.enqueue(keyOf(s));
    }
  }

  private liveTargets(): Map<string, LiveTarget> {
    const targets = new Map<string, LiveTarget>();
    for (const p of this.caches.pods.list()) {
      const stream = p.metadata.labels?.[STREAM_LABEL];
      if (!stream || !p.ready || !p.podIP || p.deleting) continue;
      const key = `${p.metadata.namespace}/${stream}`;
      const t = targets.get(key) ?? {};
      if (p.metadata.labels?.[COMPONENT_LABEL] === 'ingest') t.ingestIP = p.podIP;
      if (p.metadata.labels?.[COMPONENT_LABEL] === 'transcoder') t.transcoderIP = p.podIP;
      targets.set(key, t);
    }
    return targets;
  }

  async start(): Promise<void> {
    await this.http.listen();
    for (const i of this.informers) i.start();
    await Promise.all(this.informers.map((i) => i.waitForSync()));
    this.o.log.info('caches synced', {
      livestreams: this.caches.streams.size,
      profiles: this.caches.profiles.size,
      nodes: this.caches.nodes.size,
      pods: this.caches.pods.size,
    });
    if (this.leader) this.leader.start();
    else this.startWork();
  }

  private startWork(): void {
    if (this.leading || this.stopping) return;
    this.leading = true;
    this.streams.start();
    this.profiles.start();
    this.live.start();
    // Everything is looked at once on taking over (the queue was filled while standing by, but a
    // standby's keys were never processed: enqueue all again to be sure).
    for (const s of this.caches.streams.list()) this.streams.enqueue(keyOf(s));
    for (const p of this.caches.profiles.list()) this.profiles.enqueue(keyOf(p));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.live.stop();
    await Promise.all([this.streams.stop(), this.profiles.stop()]);
    await this.leader?.stop();
    await Promise.all(this.informers.map((i) => i.stop()));
    await this.http.close();
  }
}

function specOrLifecycleChanged(
  a: { metadata: { generation?: number; deletionTimestamp?: unknown } },
  b: { metadata: { generation?: number; deletionTimestamp?: unknown } },
): boolean {
  return (
    a.metadata.generation !== b.metadata.generation ||
    a.metadata.deletionTimestamp !== b.metadata.deletionTimestamp
  );
}

/** What about a pod its stream's status shows (not every status heartbeat). */
function podSignature(p: PodUsage | undefined): string {
  return p ? JSON.stringify([p.nodeName, p.ready, p.phase, p.podIP, p.unschedulable?.since, p.deleting]) : '';
}

/** What about a live view the status shows; changes here enqueue the stream. */
export function liveSignature(v: LiveView): string {
  if (v.kind !== 'ok') return JSON.stringify([v.kind, 'message' in v ? v.message.replace(/\d+ ms/, '') : '']);
  const i = v.ingest;
  const t = v.transcoder;
  return JSON.stringify([
    i.publishing,
    i.since,
    i.video?.codec,
    i.video?.width,
    i.video?.height,
    Math.round((i.video?.framesPerSecond ?? 0) * 10),
    Math.round(i.bitsPerSecond / 100_000),
    Math.round((i.video?.keyframeIntervalSeconds ?? 0) * 10),
    t?.state,
    t?.speed === null || t?.speed === undefined ? null : Math.round(t.speed * 10),
    t?.renditions.map((r) => r.state),
  ]);
}
