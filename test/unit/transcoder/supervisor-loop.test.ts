// The supervisor's life cycle with a fake ffmpeg and a scripted ingest: which reason ends a run,
// when it waits for a publisher again, when it backs off, and that it reads the token every start.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Logger } from '../../../lib/log.js';
import type { FfmpegExit } from '../../../transcoder/ffmpeg/process.js';
import type { Progress } from '../../../transcoder/ffmpeg/progress.js';
import type { IngestView } from '../../../transcoder/supervisor/ingest.js';
import {
  Supervisor,
  redactToken,
  type FfmpegRun,
  type RestartReason,
} from '../../../transcoder/supervisor/supervisor.js';
import { chooseEncoder } from '../../../transcoder/ffmpeg/encoders.js';
import { debianCapabilities, settings } from './fixtures.js';

class FakeFfmpeg implements FfmpegRun {
  readonly exited: Promise<FfmpegExit>;
  signals: string[] = [];
  private end!: (e: FfmpegExit) => void;
  constructor(
    readonly args: string[],
    readonly progress: (p: Progress) => void,
  ) {
    this.exited = new Promise((resolve) => (this.end = resolve));
  }
  frame(n: number): void {
    this.progress({
      frame: n,
      fps: 25,
      speed: 1,
      droppedFrames: 0,
      duplicatedFrames: 0,
      outTimeUs: n * 40_000,
      bitrateKbps: null,
      end: false,
    });
  }
  exit(code: number, stderrTail: string[] = []): void {
    this.end({ code, signal: null, stderrTail });
  }
  async stop(): Promise<FfmpegExit> {
    this.signals.push('SIGTERM');
    this.exit(255);
    return this.exited;
  }
}

function harness(ingest: () => IngestView) {
  const s = settings(
    (c) =>
      (c.supervisor = { noProgressSeconds: 600, restartBackoff: { initialSeconds: 0.1, maxSeconds: 0.2 } }),
  );
  const choice = chooseEncoder(s, debianCapabilities());
  assert.ok(choice.ok);
  const runs: FakeFfmpeg[] = [];
  const restarts: RestartReason[] = [];
  let tokenReads = 0;
  const supervisor = new Supervisor({
    settings: s,
    plan: choice.plan,
    log: new Logger({}, { write: () => undefined }),
    readIngest: async () => ingest(),
    readToken: () => `token-${++tokenReads}-abcdef`,
    spawn: (job, onProgress) => {
      const run = new FakeFfmpeg(job.args, onProgress);
      runs.push(run);
      return run;
    },
    onRestart: (r) => restarts.push(r),
    tickMs: 5,
  });
  const until = async (what: string, check: () => boolean) => {
    for (let i = 0; i < 2000 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(check(), what);
  };
  return { supervisor, runs, restarts, until, tokenReads: () => tokenReads };
}

const publishing = (since = '2026-12-04T10:00:00.000Z'): IngestView => ({
  publishing: true,
  since,
  sourceFps: 25,
});
const idle: IngestView = { publishing: false, since: null, sourceFps: null };

describe('supervisor', () => {
  test('waits for a publisher, pulls with the token read at that moment, and is Encoding after the first frame', async () => {
    let view = idle;
    const h = harness(() => view);
    h.supervisor.start();
    await h.until('waiting', () => h.supervisor.snapshot().state === 'WaitingForPublisher');
    assert.equal(h.runs.length, 0);
    view = publishing();
    await h.until('ffmpeg started', () => h.runs.length === 1);
    assert.ok(
      h.runs[0]!.args.includes('rtmp://main-ingest.studio.svc:1935/live/stream?token=token-1-abcdef'),
    );
    assert.equal(h.supervisor.snapshot().state, 'Starting');
    h.runs[0]!.frame(10);
    assert.equal(h.supervisor.snapshot().state, 'Encoding');
    await h.supervisor.stop();
    assert.deepEqual(h.runs[0]!.signals, ['SIGTERM']);
    assert.deepEqual(h.restarts, [], 'a shutdown is not a restart');
  });

  test('ffmpeg ending with the publish is input_ended: back to waiting, then a fresh token on the next start', async () => {
    let view = publishing();
    const h = harness(() => view);
    h.supervisor.start();
    await h.until('ffmpeg started', () => h.runs.length === 1);
    h.runs[0]!.frame(25);
    view = idle;
    h.runs[0]!.exit(0);
    await h.until(
      'waiting again',
      () => h.supervisor.snapshot().state === 'WaitingForPublisher' && h.restarts.length === 1,
    );
    assert.deepEqual(h.restarts, ['input_ended']);
    view = publishing('2026-12-04T10:05:00.000Z');
    await h.until('second start', () => h.runs.length === 2);
    assert.ok(h.runs[1]!.args.some((a) => a.endsWith('token=token-2-abcdef')));
    await h.supervisor.stop();
  });

  test('a new publish while ffmpeg runs is publisher_changed', async () => {
    let view = publishing();
    const h = harness(() => view);
    h.supervisor.start();
    await h.until('ffmpeg started', () => h.runs.length === 1);
    h.runs[0]!.frame(25);
    view = publishing('2026-12-04T10:09:00.000Z');
    h.runs[0]!.exit(1, ['rtmp://...: End of file']);
    await h.until('restarted', () => h.runs.length === 2);
    assert.deepEqual(h.restarts, ['publisher_changed']);
    await h.supervisor.stop();
  });

  test('ffmpeg failing while the publish goes on is ffmpeg_failed, with its error as lastError, and a backoff', async () => {
    const h = harness(() => publishing());
    h.supervisor.start();
    await h.until('ffmpeg started', () => h.runs.length === 1);
    h.runs[0]!.exit(1, [
      '[h264 @ 0x1] no frame!',
      'Error while decoding stream #0:0: Invalid data found when processing input',
    ]);
    await h.until('restarting', () => h.restarts.length === 1);
    assert.deepEqual(h.restarts, ['ffmpeg_failed']);
    const snap = h.supervisor.snapshot();
    assert.match(
      snap.lastError ?? '',
      /^ffmpeg exited \(code 1, signal none\): \[h264 @ 0x1\] no frame! \| Error while decoding/,
    );
    await h.until('started again after the pause', () => h.runs.length === 2);
    await h.supervisor.stop();
  });

  test('ffmpeg errors that quote the pull URL lose the token before they reach the status', () => {
    assert.equal(
      redactToken('rtmp://main-ingest:1935/live/stream?token=token-1-abcdef: Input/output error'),
      'rtmp://main-ingest:1935/live/stream?token=[redacted]: Input/output error',
    );
  });
});
