import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig, validateConfig } from '../../../transcoder/config.js';
import { baseConfig, settings } from './fixtures.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the cases write wrong types on purpose
type Loose = Record<string, any>;

describe('transcoder config', () => {
  test('defaults fill what the operator leaves out', () => {
    const s = settings();
    assert.equal(s.ingest.readTimeoutSeconds, 5);
    assert.equal(s.amdApi, 'vaapi');
    assert.equal(s.allowCpuFallback, true);
    assert.deepEqual(s.ladder.audio, { sampleRateHz: 48000, channels: 2 });
    assert.deepEqual(s.tuning.x264, { preset: 'veryfast', tune: 'zerolatency' });
    assert.deepEqual(s.tuning.nvenc, { preset: 'p4', tune: 'll' });
    assert.equal(s.output.hls, true);
    assert.equal(s.output.dash, false);
    assert.deepEqual(s.supervisor, {
      noProgressSeconds: 10,
      restartBackoff: { initialSeconds: 1, maxSeconds: 30 },
    });
  });

  test('the YAML the monitoring test writes is valid', () => {
    const s = parseConfig(
      `stream: {namespace: monitoring-1, name: main}
ingest: {pullUrl: "rtmp://127.0.0.1:1935/live/stream", statusUrl: "http://127.0.0.1:9090/status", playTokenFile: /tmp/t, readTimeoutSeconds: 3}
accelerator: cpu
ladder:
  codec: h264
  gopSeconds: 1
  renditions:
    - {name: 180p, width: 320, height: 180, videoBitrate: 300000, audioBitrate: 64000}
tuning: {x264: {preset: ultrafast}}
output: {directory: /tmp/hls, segmentSeconds: 1, playlistSize: 4}
supervisor: {noProgressSeconds: 4, restartBackoff: {initialSeconds: 0.5, maxSeconds: 1}}
`,
      'transcoder.yaml',
    );
    assert.equal(s.ladder.renditions[0]!.name, '180p');
  });

  const bad: [string, (c: Loose) => void, string][] = [
    ['a missing ladder', (c) => delete c.ladder, 'transcoder.yaml: ladder: must be a mapping, got nothing'],
    [
      'an unknown accelerator',
      (c) => (c.accelerator = 'intel'),
      'transcoder.yaml: accelerator: "intel" is not allowed; choose one of nvidia, amd, cpu',
    ],
    [
      'an odd width',
      (c) => (c.ladder.renditions[1].width = 1279),
      'transcoder.yaml: ladder.renditions[1].width: must be even (4:2:0 video), got 1279',
    ],
    [
      'a bitrate given as text',
      (c) => (c.ladder.renditions[0].videoBitrate = '5M'),
      'transcoder.yaml: ladder.renditions[0].videoBitrate: must be an integer from 50000 to 1500000000, got "5M"',
    ],
    [
      'two renditions with one name',
      (c) => (c.ladder.renditions[2].name = '720p'),
      'transcoder.yaml: ladder.renditions[2].name: "720p" is used twice; names must be unique',
    ],
    [
      'a rendition name that is not a safe folder',
      (c) => (c.ladder.renditions[0].name = '../x'),
      'transcoder.yaml: ladder.renditions[0].name: "../x" is not allowed; use 1-32 of a-z 0-9 _ - (it becomes a folder and a URL path)',
    ],
    [
      'no renditions',
      (c) => (c.ladder.renditions = []),
      'transcoder.yaml: ladder.renditions: must be a list of 1 to 16 renditions, got a list',
    ],
    [
      'a pull URL that is not RTMP',
      (c) => (c.ingest.pullUrl = 'http://x/live/stream'),
      'transcoder.yaml: ingest.pullUrl: "http://x/live/stream" is not allowed; use a URL such as rtmp://host:1935/live/stream',
    ],
    [
      'a pull URL with a token in it',
      (c) => (c.ingest.pullUrl = 'rtmp://x/live/stream?token=abc'),
      'transcoder.yaml: ingest.pullUrl: "rtmp://x/live/stream?token=abc" is not allowed; use a URL such as rtmp://host:1935/live/stream',
    ],
    [
      'a playlist of 2 segments',
      (c) => (c.output.playlistSize = 2),
      'transcoder.yaml: output.playlistSize: must be an integer from 3 to 30, got 2',
    ],
    [
      'HLS and DASH both off',
      (c) => ((c.output.hls = false), (c.output.dash = false)),
      'transcoder.yaml: output.hls: HLS and DASH are both off; at least one must be on',
    ],
    [
      'an x264 preset that does not exist',
      (c) => (c.tuning = { x264: { preset: 'turbo' } }),
      'transcoder.yaml: tuning.x264.preset: "turbo" is not allowed; choose one of ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow',
    ],
    [
      'a sample rate of 32 kHz',
      (c) => (c.ladder.audio = { sampleRateHz: 32000, channels: 2 }),
      'transcoder.yaml: ladder.audio.sampleRateHz: must be an integer from 44100 to 48000, got 32000',
    ],
    [
      'a backoff whose max is below its start',
      (c) => (c.supervisor = { restartBackoff: { initialSeconds: 5, maxSeconds: 1 } }),
      'transcoder.yaml: supervisor.restartBackoff.maxSeconds: must not be below restartBackoff.initialSeconds',
    ],
    [
      'a render node outside /dev/dri',
      (c) => (c.device = { renderNode: '/etc/passwd' }),
      'transcoder.yaml: device.renderNode: "/etc/passwd" is not allowed; use /dev/dri/renderD<N>',
    ],
  ];
  for (const [name, modify, message] of bad)
    test(`${name} is refused with a message naming the field`, () => {
      const c = JSON.parse(JSON.stringify(baseConfig())) as Loose;
      modify(c);
      assert.throws(
        () => validateConfig(c, 'transcoder.yaml'),
        (err: Error & { code?: string }) => {
          assert.equal(err.message, message);
          assert.equal(err.code, 'LSO_CONFIG_INVALID');
          return true;
        },
      );
    });

  test('YAML that does not parse names the file', () => {
    assert.throws(() => parseConfig('ladder: [', 'cfg.yaml'), /^ConfigError: cfg\.yaml: not valid YAML: /);
  });
});
