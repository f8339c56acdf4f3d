// Per-LiveStream series, labelled namespace and name (kube-state-metrics style: a condition series
// per status with value 1 for the current one). Live summaries carry names of their own
// (livestream_live_*) so they never collide with the ingest's and transcoder's own series.
import { Gauge, type Registry } from 'prom-client';
import { LIVE_STREAM, type LiveStream, type LiveStreamStatus } from '../../api/v1alpha1/index.js';

const STATUSES = ['True', 'False', 'Unknown'] as const;

export class StreamMetrics {
  private readonly ready: Gauge;
  private readonly condition: Gauge;
  private readonly info: Gauge;
  private readonly fallback: Gauge;
  private readonly bitrate: Gauge;
  private readonly speed: Gauge;
  private readonly infoLabels = new Map<string, Record<string, string>>();

  constructor(registry: Registry) {
    const g = (name: string, help: string, labelNames: string[]) =>
      new Gauge({ name, help, labelNames, registers: [registry] });
    this.ready = g('livestream_ready', '1 when the LiveStream is Ready', ['namespace', 'name']);
    this.condition = g(
      'livestream_status_condition',
      'The LiveStream condition status: 1 on the series of the current status',
      ['namespace', 'name', 'type', 'status'],
    );
    this.info = g('livestream_info', 'One series per LiveStream with its profile and placement', [
      'namespace',
      'name',
      'profile',
      'accelerator',
      'encoder',
    ]);
    this.fallback = g(
      'livestream_accelerator_fallback',
      '1 when the transcoder runs on other than its first preference',
      ['namespace', 'name'],
    );
    this.bitrate = g(
      'livestream_live_bitrate_bits_per_second',
      'Bitrate the ingest receives, as the operator last read it',
      ['namespace', 'name'],
    );
    this.speed = g(
      'livestream_live_transcoder_speed_ratio',
      "The transcoder's encoding speed (1 = real time), as the operator last read it",
      ['namespace', 'name'],
    );
  }

  update(stream: LiveStream, status: LiveStreamStatus, liveBitsPerSecond?: number): void {
    const base = { namespace: stream.metadata.namespace!, name: stream.metadata.name! };
    const key = `${base.namespace}/${base.name}`;
    const conditions = status.conditions ?? [];
    this.ready.set(base, conditions.find((c) => c.type === 'Ready')?.status === 'True' ? 1 : 0);
    for (const c of conditions)
      for (const s of STATUSES)
        this.condition.set({ ...base, type: c.type, status: s }, c.status === s ? 1 : 0);
    const info = {
      ...base,
      profile: stream.spec.profileRef.name,
      accelerator: status.placement?.accelerator ?? '',
      encoder: status.placement?.encoder ?? '',
    };
    const old = this.infoLabels.get(key);
    if (old && JSON.stringify(old) !== JSON.stringify(info)) this.info.remove(old);
    this.info.set(info, 1);
    this.infoLabels.set(key, info);
    this.fallback.set(
      base,
      conditions.find((c) => c.type === 'AcceleratorFallback')?.status === 'True' ? 1 : 0,
    );
    if (liveBitsPerSecond !== undefined) this.bitrate.set(base, liveBitsPerSecond);
    else this.bitrate.remove(base);
    if (status.live?.transcoderSpeed !== undefined) this.speed.set(base, status.live.transcoderSpeed);
    else this.speed.remove(base);
  }

  /** Drops every series of a deleted LiveStream. */
  forget(namespace: string, name: string): void {
    const base = { namespace, name };
    const key = `${namespace}/${name}`;
    for (const g of [this.ready, this.fallback, this.bitrate, this.speed]) g.remove(base);
    const info = this.infoLabels.get(key);
    if (info) this.info.remove(info);
    this.infoLabels.delete(key);
    for (const type of LIVE_STREAM.conditionTypes)
      for (const status of STATUSES) this.condition.remove({ ...base, type, status });
  }
}
