// Assembles the transcoder (config, ffmpeg probe and encoder choice, supervisor, segment watcher,
// origin, admin HTTP, metrics) and owns the start and stop order. main.ts adds flags and signals.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { HttpServer, sendJson } from '../lib/http.js';
import type { Logger } from '../lib/log.js';
import { loadConfig, type Settings } from './config.js';
import { chooseEncoder, type EncoderPlan } from './ffmpeg/encoders.js';
import { FfmpegProcess } from './ffmpeg/process.js';
import { probe, runFfmpeg } from './ffmpeg/probe.js';
import { TranscoderMetrics } from './metrics.js';
import { ruleFor } from './origin/files.js';
import { Origin } from './origin/server.js';
import { pruneUnlisted, SegmentWatcher } from './output/segments.js';
import { buildStatus } from './report.js';
import type { TranscoderStatus } from './status.js';
import { readIngest } from './supervisor/ingest.js';
import { Supervisor } from './supervisor/supervisor.js';

export interface TranscoderOptions {
  config: string;
  host: string;
  originPort: number;
  adminPort: number;
  ffmpeg: string;
}

export interface RunningTranscoder {
  origin: AddressInfo;
  admin: AddressInfo;
  status(): TranscoderStatus;
  stop(): Promise<void>;
}

/** Removes what an earlier run left in the output folder (only the kinds of files ffmpeg writes). */
export function clearOutput(settings: Settings): void {
  const dir = settings.output.directory;
  mkdirSync(dir, { recursive: true });
  const ours = (name: string) => ruleFor(name) !== undefined || name.endsWith('.tmp');
  const folders = new Set([
    ...settings.ladder.renditions.map((r) => r.name),
    settings.ladder.passthrough?.name,
  ]);
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (folders.has(name) && statSync(full).isDirectory()) {
      for (const inner of readdirSync(full)) if (ours(inner)) rmSync(path.join(full, inner), { force: true });
    } else if (ours(name)) rmSync(full, { force: true });
  }
}

export async function startTranscoder(options: TranscoderOptions, log: Logger): Promise<RunningTranscoder> {
  const settings = loadConfig(options.config);
  log = log.child({ namespace: settings.stream.namespace, livestream: settings.stream.name });
  clearOutput(settings);

  // What this ffmpeg can do, and the best encoder for the accelerator we were placed on.
  let plan: EncoderPlan | null = null;
  let ffmpegVersion: string | null = null;
  let failure: string | null = null;
  try {
    const caps = await probe(settings, runFfmpeg(options.ffmpeg));
    ffmpegVersion = caps.version;
    const choice = chooseEncoder(settings, caps);
    if (choice.ok) plan = choice.plan;
    else failure = `no usable encoder for accelerator ${settings.accelerator}: ${choice.reason}`;
  } catch (err) {
    failure = `ffmpeg (${options.ffmpeg}) cannot be used: ${(err as Error).message}`;
  }
  if (failure) log.error('transcoder cannot encode', { reason: failure });
  else if (plan!.fallbackReason)
    log.warn('accelerator fallback', {
      requestedAccelerator: settings.accelerator,
      accelerator: plan!.accelerator,
      encoder: plan!.encoder,
      reason: plan!.fallbackReason,
    });
  else log.info('encoder chosen', { accelerator: plan!.accelerator, encoder: plan!.encoder, api: plan!.api });

  const watcher = new SegmentWatcher(settings.output.directory, settings.output.segmentSeconds);
  // The metrics read the supervisor's state, and the supervisor reports restarts to them.
  const metricsRef: { current?: TranscoderMetrics } = {};
  const supervisor = plan
    ? new Supervisor({
        settings,
        plan,
        log,
        readIngest: () => readIngest(settings.ingest.statusUrl),
        readToken: () => {
          const token = readFileSync(settings.ingest.playTokenFile, 'utf8').trim();
          if (!token) throw new Error(`${settings.ingest.playTokenFile} is empty`);
          return token;
        },
        spawn: (job, onProgress, onStderrLine) =>
          new FfmpegProcess({
            binary: options.ffmpeg,
            args: job.args,
            env: job.env,
            cwd: settings.output.directory,
            onProgress,
            onStderrLine,
          }),
        onRestart: (reason) => metricsRef.current?.restarted(reason),
        beforeStart: (layout) => {
          const removed = pruneUnlisted(settings.output.directory, layout);
          if (removed.length)
            log.info('removed segments the previous ffmpeg left', { files: removed.length });
        },
      })
    : null;

  let stopping = false;
  let originListening = false;
  const notReady = (): string | undefined => {
    if (stopping) return 'shutting down';
    if (failure) return failure;
    if (!originListening) return 'the origin is not listening';
    return undefined;
  };
  const status = (): TranscoderStatus =>
    buildStatus({
      settings,
      plan,
      ffmpegVersion,
      failure,
      notReadyReason: notReady(),
      supervisor: supervisor?.snapshot() ?? null,
      figures: watcher.current(),
    });
  const metrics = (metricsRef.current = new TranscoderMetrics({
    status,
    segmentsTotal: () => new Map(watcher.current().map((f) => [f.name, f.segmentsTotal])),
    stalled: () => supervisor?.snapshot().stalled ?? false,
  }));

  const scan = () => {
    const layout = supervisor?.snapshot().layout;
    if (layout) watcher.scan(layout, Date.now());
  };
  const scanner = setInterval(scan, 1000);
  scanner.unref();

  const admin = new HttpServer({
    host: options.host,
    port: options.adminPort,
    log: log.child({ component: 'admin' }),
  })
    .probes(metrics.registry, [notReady])
    .route('GET', '/status', (_req, res) => sendJson(res, 200, status()));
  const origin = new Origin({
    host: options.host,
    port: options.originPort,
    directory: settings.output.directory,
    title: `${settings.stream.namespace}/${settings.stream.name}`,
    dash: settings.output.dash,
    log: log.child({ component: 'origin' }),
    layout: () => supervisor?.snapshot().layout ?? null,
    onRequest: (kind, code) => metrics.request(kind, code),
  });
  const adminAddress = await admin.listen();
  const originAddress = await origin.listen();
  originListening = true;
  log.info('transcoder started', {
    origin: originAddress.port,
    admin: adminAddress.port,
    encoder: plan?.encoder ?? null,
    state: status().state,
  });
  supervisor?.start();

  return {
    origin: originAddress,
    admin: adminAddress,
    status,
    async stop() {
      stopping = true;
      await supervisor?.stop();
      clearInterval(scanner);
      await origin.close();
      await admin.close();
    },
  };
}
