// Debian's Prometheus (2.42) for a test: a config written to a temp dir, its TSDB in that dir, the
// HTTP API on a free loopback port, stopped by pid. Plus the two API calls the tests use.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { Proc, freePort, until } from '../support/processes.js';

export interface ScrapeTarget {
  address: string;
  labels: Record<string, string>;
}

export interface ScrapeJob {
  job: string;
  targets: ScrapeTarget[];
  honorLabels?: boolean;
}

export interface PromSample {
  metric: Record<string, string>;
  values?: [number, string][];
  value?: [number, string];
}

export class Prometheus {
  private constructor(
    readonly url: string,
    private readonly proc: Proc,
    private readonly dir: string,
  ) {}

  static async start(options: {
    jobs: ScrapeJob[];
    ruleFiles?: string[];
    scrapeIntervalSeconds?: number;
  }): Promise<Prometheus> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lso-prometheus-'));
    const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
    const config = {
      global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
      rule_files: options.ruleFiles ?? [],
      scrape_configs: options.jobs.map((j) => ({
        job_name: j.job,
        honor_labels: j.honorLabels ?? false,
        static_configs: j.targets.map((t) => ({ targets: [t.address], labels: t.labels })),
      })),
    };
    const configFile = path.join(dir, 'prometheus.yml');
    writeFileSync(configFile, YAML.stringify(config));
    const port = await freePort();
    const proc = new Proc('prometheus', 'prometheus', [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ]);
    const url = `http://127.0.0.1:${port}`;
    try {
      await until('Prometheus to be ready', async () => {
        if (!proc.running) throw new Error(`prometheus exited:\n${proc.tail()}`);
        const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
        return res.ok;
      });
    } catch (err) {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return new Prometheus(url, proc, dir);
  }

  private async api<T>(pathAndQuery: string): Promise<T> {
    const res = await fetch(`${this.url}${pathAndQuery}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${pathAndQuery}: ${body.error ?? res.status}`);
    return body.data;
  }

  /** A range query; returns the series (matrix). */
  async queryRange(
    expr: string,
    startSeconds: number,
    endSeconds: number,
    stepSeconds: number,
  ): Promise<PromSample[]> {
    const q = new URLSearchParams({
      query: expr,
      start: String(startSeconds),
      end: String(endSeconds),
      step: String(stepSeconds),
    });
    const data = await this.api<{ resultType: string; result: PromSample[] }>(`/api/v1/query_range?${q}`);
    return data.result;
  }

  /** An instant query; returns the series (vector). */
  async query(expr: string): Promise<PromSample[]> {
    const data = await this.api<{ resultType: string; result: PromSample[] }>(
      `/api/v1/query?${new URLSearchParams({ query: expr })}`,
    );
    return data.result;
  }

  /** label_values(<match>, <label>) as Grafana's Prometheus data source asks it. */
  async labelValues(label: string, match: string): Promise<string[]> {
    return this.api<string[]>(
      `/api/v1/label/${encodeURIComponent(label)}/values?${new URLSearchParams({ 'match[]': match })}`,
    );
  }

  async targets(): Promise<{ labels: Record<string, string>; health: string; lastError: string }[]> {
    const data = await this.api<{
      activeTargets: { labels: Record<string, string>; health: string; lastError: string }[];
    }>('/api/v1/targets');
    return data.activeTargets;
  }

  async alerts(): Promise<{ labels: Record<string, string>; state: string }[]> {
    const data = await this.api<{ alerts: { labels: Record<string, string>; state: string }[] }>(
      '/api/v1/alerts',
    );
    return data.alerts;
  }

  async stop(): Promise<void> {
    await this.proc.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
