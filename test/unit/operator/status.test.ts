// The LiveStream status as a table: what the operator observed -> conditions users and tools read.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IngestStatus } from '../../../ingest/status.js';
import { conditionsFor, statusFor, type Observed } from '../../../operator/controllers/livestream/status.js';
import { liveStream, seedLadder, suspended } from '../build/fixtures.js';

const ingestStatus = (publishing: boolean): IngestStatus => ({
  ready: true,
  streamPath: '/live/stream',
  publishing,
  since: publishing ? '2026-12-01T10:00:00Z' : null,
  publisher: null,
  video: publishing
    ? {
        codec: 'h264',
        profile: null,
        level: null,
        width: 1920,
        height: 1080,
        framesPerSecond: 30,
        keyframeIntervalSeconds: 2,
        bitsPerSecond: 4_900_000,
      }
    : null,
  audio: null,
  bitsPerSecond: publishing ? 5_040_000 : 0,
  lastMediaAgeSeconds: null,
  subscribers: 0,
  subscriberSessions: [],
  lastPublish: null,
});

function observed(mod: (o: Observed) => void = () => {}): Observed {
  const stream = liveStream('main', (s) => {
    s.metadata.generation = 3;
    s.metadata.uid = 'u1';
  });
  const o: Observed = {
    stream,
    profile: seedLadder(),
    placement: {
      placed: true,
      accelerator: 'nvidia',
      encoder: 'h264_nvenc',
      fallback: false,
      reason: 'Preferred',
      message: 'nvidia fits',
      gpuProduct: 'NVIDIA-L4',
    },
    ingest: { exists: true, available: true },
    transcoder: { exists: true, available: true },
    transcoderPod: { node: 'nvidia-l4-0' },
    ingestUrl: 'rtmp://main-ingest.streams.svc.cluster.local:1935/live',
    playback: {
      hlsUrl: 'http://main-playback.streams.svc.cluster.local/master.m3u8',
      previewUrl: 'http://main-playback.streams.svc.cluster.local/',
    },
    live: { kind: 'unreachable', message: 'no answer' },
  };
  mod(o);
  return o;
}

const summary = (o: Observed) =>
  Object.fromEntries(conditionsFor(o).map((c) => [c.type, `${c.status} ${c.reason}`]));

describe('LiveStream conditions', () => {
  const cases: [string, (o: Observed) => void, Record<string, string>][] = [
    [
      'everything rolled out on the first preference is Ready, not reconciling, not stalled',
      () => {},
      {
        Ready: 'True Ready',
        Reconciling: 'False Reconciled',
        Stalled: 'False AsExpected',
        IngestReady: 'True Available',
        TranscoderReady: 'True Available',
        Live: 'Unknown StatusUnreachable',
        AcceleratorFallback: 'False Preferred',
      },
    ],
    [
      'a missing profile stalls with ProfileNotFound',
      (o) => {
        o.profile = undefined;
        o.placement = undefined;
      },
      {
        Ready: 'False ProfileNotFound',
        Stalled: 'True ProfileNotFound',
        TranscoderReady: 'False ProfileNotFound',
        Reconciling: 'False Reconciled',
      },
    ],
    [
      'nothing fits and fallback is off: Stalled with the placement reason',
      (o) => {
        o.placement = {
          placed: false,
          reason: 'NoFreeGpu',
          message: 'every L4 is in use; allowCpuFallback is false',
        };
        o.transcoder = { exists: false, available: false };
      },
      { Ready: 'False NoFreeGpu', Stalled: 'True NoFreeGpu', AcceleratorFallback: 'False NotPlaced' },
    ],
    [
      'a CPU fallback is Ready with AcceleratorFallback=True',
      (o) => {
        o.placement = {
          placed: true,
          accelerator: 'cpu',
          encoder: 'libx264',
          fallback: true,
          reason: 'FellBackToCpu',
          message: 'no L4 left',
        };
      },
      { Ready: 'True Ready', AcceleratorFallback: 'True FellBackToCpu' },
    ],
    [
      'a rolling transcoder is Reconciling, not Ready, not Stalled',
      (o) => {
        o.transcoder = { exists: true, available: false, detail: 'rolling out: 0 of 1 updated, 0 available' };
      },
      {
        Ready: 'False TranscoderNotReady',
        Reconciling: 'True Progressing',
        Stalled: 'False AsExpected',
        TranscoderReady: 'False Deploying',
      },
    ],
    [
      'an unschedulable transcoder pod says what the scheduler said',
      (o) => {
        o.transcoder = { exists: true, available: false };
        o.transcoderPod = {
          unschedulable: { since: '2026-12-01T10:00:00Z', message: '0/9 nodes are available' },
        };
      },
      { TranscoderReady: 'False Unschedulable', Ready: 'False TranscoderNotReady' },
    ],
    [
      'suspend says Suspended everywhere and is not stalled',
      (o) => {
        suspended(o.stream);
        o.placement = undefined;
      },
      {
        Ready: 'False Suspended',
        Stalled: 'False AsExpected',
        Reconciling: 'False Reconciled',
        IngestReady: 'False Suspended',
        TranscoderReady: 'False Suspended',
        Live: 'False Suspended',
      },
    ],
    [
      'an encoder publishing with the transcoder encoding is Live',
      (o) => {
        o.live = { kind: 'ok', ingest: ingestStatus(true) };
      },
      { Live: 'True Publishing' },
    ],
    [
      'a ready ingest nobody publishes to is waiting for a publisher',
      (o) => {
        o.live = { kind: 'ok', ingest: ingestStatus(false) };
      },
      { Live: 'False WaitingForPublisher' },
    ],
    [
      'a user-named stream key Secret that is missing stalls the stream',
      (o) => {
        o.keySecretProblem = 'Secret obs-key (spec.ingest.streamKeySecretRef) does not exist';
      },
      { Stalled: 'True StreamKeySecretNotFound', IngestReady: 'False StreamKeySecretNotFound' },
    ],
  ];
  for (const [name, mod, want] of cases)
    test(name, () => {
      const got = summary(observed(mod));
      for (const [type, value] of Object.entries(want)) assert.equal(got[type], value, type);
    });

  test('every condition type is written from the first reconcile (kstatus)', () => {
    assert.deepEqual(Object.keys(summary(observed())), [
      'Ready',
      'Reconciling',
      'Stalled',
      'IngestReady',
      'TranscoderReady',
      'Live',
      'AcceleratorFallback',
    ]);
  });
});

describe('LiveStream status', () => {
  test('carries observedGeneration, URLs, placement with the node, and the key Secret by reference only', () => {
    const s = statusFor(observed(), new Date('2026-12-01T10:00:00Z'));
    assert.equal(s.observedGeneration, 3);
    assert.deepEqual(s.placement, {
      accelerator: 'nvidia',
      encoder: 'h264_nvenc',
      node: 'nvidia-l4-0',
      gpuProduct: 'NVIDIA-L4',
      reason: 'Preferred',
      message: 'nvidia fits',
    });
    assert.deepEqual(s.ingest, {
      state: 'Waiting',
      url: 'rtmp://main-ingest.streams.svc.cluster.local:1935/live',
      streamKeySecretRef: { name: 'main-stream-key', key: 'streamKey' },
    });
    assert.ok(s.conditions!.every((c) => c.observedGeneration === 3));
  });

  test('live figures appear while an encoder publishes, rounded so small changes do not rewrite status', () => {
    const s = statusFor(
      observed((o) => (o.live = { kind: 'ok', ingest: ingestStatus(true) })),
      new Date(),
    );
    assert.equal(s.ingest?.state, 'Publishing');
    assert.deepEqual(s.live, {
      publishingSince: '2026-12-01T10:00:00Z',
      codec: 'h264',
      resolution: '1920x1080',
      fps: 30,
      bitrateKbps: 5000,
      keyframeIntervalSeconds: 2,
    });
  });

  test('a segment length that is not a multiple of the GOP is warned about in TranscoderReady', () => {
    const c = conditionsFor(
      observed((o) => (o.gopWarning = 'output.segmentSeconds 3 is not a multiple of 2')),
    ).find((x) => x.type === 'TranscoderReady')!;
    assert.match(c.message, /warning: output.segmentSeconds 3 is not a multiple of 2/);
  });
});
