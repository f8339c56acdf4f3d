// The ffmpeg supervisor (MediaMTX's externalcmd shape, with the stream's life cycle around it):
// wait until the ingest has a publisher, pull with the internal token (re-read every start), run
// one ffmpeg for the ladder, watch its progress for stalls and the ingest for a gone or changed
// publisher, end ffmpeg with SIGTERM, restart with exponential backoff after failures.
import type { Logger } from '../../lib/log.js';
import type { Settings } from '../config.js';
import { buildFfmpegArgs, redactArgs, type FfmpegJob, type OutputLayout } from '../ffmpeg/args.js';
import type { EncoderPlan } from '../ffmpeg/encoders.js';
import type { FfmpegExit } from '../ffmpeg/process.js';
import type { Progress } from '../ffmpeg/progress.js';
import type { TranscoderState, TranscoderStatus } from '../status.js';
import { Backoff } from './backoff.js';
import type { IngestView } from './ingest.js';
import { SpeedWindow } from './speed.js';
import { SPEED_FLOOR, stallReason } from './stall.js';

export type RestartReason = 'input_ended' | 'publisher_changed' | 'ffmpeg_failed' | 'stalled';

/** What the supervisor needs of a running ffmpeg (FfmpegProcess; a fake in unit tests). */
export interface FfmpegRun {
  readonly exited: Promise<FfmpegExit>;
  stop(graceMs: number): Promise<FfmpegExit>;
}

export interface SupervisorDeps {
  settings: Settings;
  plan: EncoderPlan;
  log: Logger;
  readIngest: () => Promise<IngestView>;
  /** The play token, read from its file at every start (a rotated Secret is picked up). */
  readToken: () => string;
  spawn: (
    job: FfmpegJob,
    onProgress: (p: Progress) => void,
    onStderrLine: (line: string) => void,
  ) => FfmpegRun;
  onRestart?: (reason: RestartReason) => void;
  /** Called before every ffmpeg start with the layout it will write (the output folder's cleanup). */
  beforeStart?: (layout: OutputLayout) => void;
  now?: () => number;
  /** How often the running ffmpeg and the ingest are checked. */
  tickMs?: number;
  /** SIGTERM to SIGKILL. */
  stopGraceMs?: number;
}

/** The run as /status reports it (the same figures), plus what only the process needs. */
export interface SupervisorSnapshot extends Pick<
  TranscoderStatus,
  'speed' | 'fps' | 'droppedFrames' | 'duplicatedFrames' | 'restarts' | 'lastRestartReason' | 'lastError'
> {
  state: TranscoderState;
  /** Epoch milliseconds (status shows it as RFC 3339). */
  encodingSince: number | null;
  stalled: boolean;
  layout: OutputLayout | null;
}

/** Removes `token=` query values (the ingest's token alphabet) from text: ffmpeg quotes its input URL in errors. */
export function redactToken(text: string): string {
  return text.replace(/([?&]token=)[A-Za-z0-9._~+=%-]*/gi, '$1[redacted]');
}

/** Ingest polls: often while waiting (it is the publish-to-first-segment latency), rarely while encoding. */
const WAITING_POLL_MS = 200;
const RUNNING_POLL_MS = 3000;
/** A run that encoded this long resets the backoff. */
const HEALTHY_RUN_MS = 30_000;

export class Supervisor {
  private state: TranscoderState = 'WaitingForPublisher';
  private encodingSince: number | null = null;
  private speed: number | null = null;
  private fps: number | null = null;
  private droppedBefore = 0;
  private duplicatedBefore = 0;
  private runDropped = 0;
  private runDuplicated = 0;
  private restarts = 0;
  private lastRestartReason: string | null = null;
  private stalled = false;
  private lastError: string | null = null;
  private layout: OutputLayout | null = null;
  private proc: FfmpegRun | undefined;
  private loop: Promise<void> | undefined;
  private readonly stopController = new AbortController();
  private readonly backoff: Backoff;
  private readonly now: () => number;
  private readonly tickMs: number;
  private readonly log: Logger;

  constructor(private readonly deps: SupervisorDeps) {
    const b = deps.settings.supervisor.restartBackoff;
    this.backoff = new Backoff(b.initialSeconds * 1000, b.maxSeconds * 1000);
    this.now = deps.now ?? Date.now;
    this.tickMs = deps.tickMs ?? 1000;
    this.log = deps.log.child({ component: 'supervisor' });
  }

  start(): void {
    this.loop ??= this.run().catch((err: unknown) => {
      this.lastError = `supervisor failed: ${(err as Error).message}`;
      this.log.error('supervisor failed', { err });
    });
  }

  snapshot(): SupervisorSnapshot {
    return {
      state: this.state,
      encodingSince: this.encodingSince,
      speed: this.speed,
      fps: this.fps,
      droppedFrames: this.droppedBefore + this.runDropped,
      duplicatedFrames: this.duplicatedBefore + this.runDuplicated,
      restarts: this.restarts,
      lastRestartReason: this.lastRestartReason,
      stalled: this.stalled,
      lastError: this.lastError,
      layout: this.layout,
    };
  }

  /** Ends ffmpeg with SIGTERM (playlists finalised), SIGKILL after the grace; stops the loop. */
  async stop(): Promise<void> {
    this.stopController.abort();
    this.state = 'Stopping';
    await this.proc?.stop(this.deps.stopGraceMs ?? 5000);
    await this.loop;
  }

  private get stopping(): boolean {
    return this.stopController.signal.aborted;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopping) return resolve();
      const timer = setTimeout(done, ms);
      const signal = this.stopController.signal;
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.state = 'WaitingForPublisher';
      const ingest = await this.waitForPublisher();
      if (!ingest) break;
      let token: string;
      try {
        token = this.deps.readToken();
      } catch (err) {
        this.lastError = `cannot read the play token: ${(err as Error).message}`;
        this.log.error(this.lastError);
        this.state = 'Restarting';
        await this.sleep(this.backoff.next());
        continue;
      }
      this.deps.log.redactValue(token);
      const url = `${this.deps.settings.ingest.pullUrl}?token=${encodeURIComponent(token)}`;
      const job = buildFfmpegArgs(this.deps.settings, this.deps.plan, { url, sourceFps: ingest.sourceFps });
      this.layout = job.layout;
      this.deps.beforeStart?.(job.layout);
      const { reason, detail, encodedMs } = await this.runOnce(job, ingest);
      if (this.stopping) break;
      this.restarts += 1;
      this.lastRestartReason = reason;
      this.deps.onRestart?.(reason);
      if (encodedMs >= HEALTHY_RUN_MS) this.backoff.reset();
      if (reason === 'ffmpeg_failed' || reason === 'stalled') {
        this.state = 'Restarting';
        const delay = this.backoff.next();
        this.log.warn('ffmpeg run ended; restarting after a pause', { reason, detail, delayMs: delay });
        await this.sleep(delay);
      } else {
        this.log.info('ffmpeg run ended with the publish; waiting for a publisher', { reason, detail });
      }
    }
  }

  /** Polls the ingest until an encoder publishes (and its frame rate is known, or 3 s passed). */
  private async waitForPublisher(): Promise<IngestView | undefined> {
    let firstPublishingAt: number | undefined;
    let lastProblem: string | undefined;
    while (!this.stopping) {
      try {
        const view = await this.deps.readIngest();
        if (lastProblem !== undefined) this.log.info('ingest status reachable again');
        lastProblem = undefined;
        if (this.lastError?.startsWith('ingest status')) this.lastError = null;
        if (view.publishing) {
          firstPublishingAt ??= this.now();
          if (view.sourceFps !== null || this.now() - firstPublishingAt > 3000) return view;
        } else firstPublishingAt = undefined;
      } catch (err) {
        const problem = `ingest status ${this.deps.settings.ingest.statusUrl}: ${(err as Error).message}`;
        if (problem !== lastProblem) this.log.warn('cannot read the ingest status', { problem });
        lastProblem = problem;
        this.lastError = problem;
      }
      await this.sleep(WAITING_POLL_MS);
    }
    return undefined;
  }

  private async runOnce(
    job: FfmpegJob,
    ingest: IngestView,
  ): Promise<{ reason: RestartReason; detail: string; encodedMs: number }> {
    const rules = {
      noProgressMs: this.deps.settings.supervisor.noProgressSeconds * 1000,
      startupGraceMs: 10_000 + this.deps.settings.ingest.readTimeoutSeconds * 1000,
      slowMs: Math.max(20_000, 2 * this.deps.settings.supervisor.noProgressSeconds * 1000),
    };
    const window = new SpeedWindow(10_000);
    const startedAtMs = this.now();
    let lastFrame = 0;
    let lastFrameAtMs: number | undefined;
    let slowSinceMs: number | undefined;
    this.state = 'Starting';
    this.runDropped = 0;
    this.runDuplicated = 0;

    const onProgress = (p: Progress) => {
      const now = this.now();
      if (p.frame !== null && p.frame > lastFrame) {
        lastFrame = p.frame;
        lastFrameAtMs = now;
        if (this.state === 'Starting' || this.state === 'Stalled') {
          this.state = 'Encoding';
          this.encodingSince = now;
          this.stalled = false;
          this.lastError = null;
          this.log.info('encoding', { encoder: job.encoder });
        }
      }
      this.fps = p.fps;
      this.runDropped = p.droppedFrames;
      this.runDuplicated = p.duplicatedFrames;
      if (p.outTimeUs !== null && p.outTimeUs > 0) window.add(now, p.outTimeUs);
      this.speed = window.speed() ?? p.speed;
      const windowed = window.speed();
      if (windowed !== null && windowed < SPEED_FLOOR) slowSinceMs ??= now;
      else slowSinceMs = undefined;
    };
    const onStderrLine = (line: string) => this.log.debug('ffmpeg', { line });

    this.log.info('starting ffmpeg', {
      encoder: job.encoder,
      args: redactArgs(job.args),
      sourceFps: ingest.sourceFps,
    });
    const proc = this.deps.spawn(job, onProgress, onStderrLine);
    this.proc = proc;
    let requested: { reason: RestartReason; detail: string } | undefined;
    let lastIngestCheck = this.now();
    let notPublishing = 0;
    const exitOrTick = async (): Promise<FfmpegExit | undefined> => {
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<undefined>(
        (resolve) => (timer = setTimeout(() => resolve(undefined), this.tickMs)),
      );
      const result = await Promise.race([proc.exited, tick]);
      clearTimeout(timer);
      return result;
    };
    let exit: FfmpegExit | undefined;
    while (!(exit = await exitOrTick())) {
      if (this.stopping) break;
      const now = this.now();
      const stall = stallReason({ nowMs: now, startedAtMs, lastFrameAtMs, slowSinceMs }, rules);
      if (stall) {
        requested = { reason: 'stalled', detail: stall };
        this.stalled = true;
        this.state = 'Stalled';
        this.log.warn('ffmpeg stalled; restarting it', { detail: stall });
        break;
      }
      if (now - lastIngestCheck >= RUNNING_POLL_MS) {
        lastIngestCheck = now;
        const view = await this.deps.readIngest().catch(() => undefined);
        if (view && !view.publishing) notPublishing += 1;
        else notPublishing = 0;
        if (notPublishing >= 2) {
          requested = { reason: 'input_ended', detail: 'the ingest has no publisher any more' };
          break;
        }
        if (view?.publishing && view.since !== ingest.since) {
          requested = { reason: 'publisher_changed', detail: 'a new publish started on the ingest' };
          break;
        }
      }
    }
    exit ??= await proc.stop(this.deps.stopGraceMs ?? 5000);
    this.proc = undefined;
    const encodedMs =
      this.encodingSince !== null && this.state !== 'Starting' ? this.now() - this.encodingSince : 0;
    this.droppedBefore += this.runDropped;
    this.duplicatedBefore += this.runDuplicated;
    this.runDropped = 0;
    this.runDuplicated = 0;
    this.encodingSince = null;
    this.speed = null;
    this.fps = null;
    const exitText = `ffmpeg exited (code ${exit.code ?? 'none'}, signal ${exit.signal ?? 'none'})`;
    if (this.stopping) {
      this.log.info('ffmpeg stopped for shutdown', { exit: exitText, stderrTail: exit.stderrTail.slice(-3) });
      return { reason: 'input_ended', detail: 'shutdown', encodedMs };
    }
    if (requested) {
      this.log.info('ffmpeg stopped', { reason: requested.reason, detail: requested.detail, exit: exitText });
      return { ...requested, encodedMs };
    }
    // ffmpeg ended by itself: the input ended (read timeout, publisher gone), or it failed.
    const view = await this.deps.readIngest().catch(() => undefined);
    // ffmpeg names its input in errors: the token must not reach /status (the logger scrubs logs).
    const last = redactToken(exit.stderrTail.slice(-3).join(' | '));
    if (view && !view.publishing)
      return { reason: 'input_ended', detail: `${exitText}; the ingest has no publisher`, encodedMs };
    if (view && view.since !== ingest.since)
      return { reason: 'publisher_changed', detail: `${exitText}; a new publish started`, encodedMs };
    this.lastError = `${exitText}: ${last || 'no error output'}`;
    this.log.error('ffmpeg failed', { exit: exitText, stderrTail: exit.stderrTail });
    return { reason: 'ffmpeg_failed', detail: this.lastError, encodedMs };
  }
}
