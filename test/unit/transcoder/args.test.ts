// Golden tests of the ffmpeg arguments, one file per encoder family. UPDATE_GOLDEN=1 rewrites them;
// review the diff like code.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Settings } from '../../../transcoder/config.js';
import { buildFfmpegArgs, redactArgs, renditionFps, trialArgs } from '../../../transcoder/ffmpeg/args.js';
import { chooseEncoder, type Capabilities } from '../../../transcoder/ffmpeg/encoders.js';
import { amfCapabilities, debianCapabilities, settings } from './fixtures.js';

const URL_WITH_TOKEN = 'rtmp://main-ingest.studio.svc:1935/live/stream?token=golden-token-1234';

function render(s: Settings, caps: Capabilities, sourceFps: number | null = 30): string {
  const choice = chooseEncoder(s, caps);
  if (!choice.ok) throw new Error(choice.reason);
  const job = buildFfmpegArgs(s, choice.plan, { url: URL_WITH_TOKEN, sourceFps });
  const header = [
    `# encoder: ${job.encoder} (api ${job.plan.api}, decode ${job.plan.decode}, accelerator ${job.plan.accelerator})`,
    `# fallbackReason: ${job.fallbackReason ?? 'none'}`,
    `# env: ${JSON.stringify(job.env)}`,
    `# trial: ffmpeg ${trialArgs(s, choice.plan).join(' ')}`,
    `# layout: ${job.layout.renditions.map((r) => `${r.name}=${r.playlist}@${r.frameRate ?? '-'}fps`).join(' ')}`,
  ];
  return [...header, 'ffmpeg', ...pairs(job.args).map((a) => `  ${a}`)].join('\n') + '\n';
}

/** "-flag value" on one line, for a golden file that reads like a command. */
function pairs(args: string[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if (a.startsWith('-') && next !== undefined && !/^-[a-z_]/i.test(next)) {
      lines.push(`${a} ${next}`);
      i++;
    } else lines.push(a);
  }
  return lines;
}

function golden(name: string, actual: string): void {
  const file = new URL(`golden/${name}.txt`, import.meta.url);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, actual);
  assert.equal(actual, readFileSync(file, 'utf8'), `golden/${name}.txt differs (UPDATE_GOLDEN=1 to rewrite)`);
}

const cases: [string, Settings, Capabilities][] = [
  ['libx264', settings(), debianCapabilities()],
  [
    'libx265',
    settings((c) => {
      c.ladder.codec = 'hevc';
      c.tuning = { x264: { preset: 'superfast', tune: 'zerolatency' } };
    }),
    debianCapabilities(),
  ],
  ['nvenc-h264-cuda', settings((c) => (c.accelerator = 'nvidia')), debianCapabilities()],
  [
    'nvenc-hevc-cuda',
    settings((c) => {
      c.accelerator = 'nvidia';
      c.ladder.codec = 'hevc';
      c.tuning = { nvenc: { preset: 'p5', tune: 'ull' } };
    }),
    debianCapabilities(),
  ],
  [
    'vaapi-amd',
    settings((c) => {
      c.accelerator = 'amd';
      c.tuning = { amd: { quality: 'speed' } };
    }),
    debianCapabilities(),
  ],
  [
    'vaapi-intel',
    settings((c) => (c.device = { intel: 'vaapi', renderNode: '/dev/dri/renderD129' })),
    debianCapabilities(),
  ],
  ['qsv-intel', settings((c) => (c.device = { intel: 'qsv' })), debianCapabilities()],
  [
    'amf',
    settings((c) => {
      c.accelerator = 'amd';
      c.amdApi = 'amf';
      c.tuning = { amd: { quality: 'quality' } };
    }),
    amfCapabilities(),
  ],
  [
    'libx264-dash-passthrough',
    settings((c) => {
      c.output.dash = true;
      c.ladder.passthrough = { name: 'source' };
      c.ladder.maxFps = 25;
    }),
    debianCapabilities(),
  ],
  [
    'nvenc-unusable-falls-back-to-libx264',
    settings((c) => (c.accelerator = 'nvidia')),
    debianCapabilities({ h264_nvenc: 'OpenEncodeSessionEx failed: unsupported device (2): (no details)' }),
  ],
];

describe('ffmpeg arguments (golden files)', () => {
  for (const [name, s, caps] of cases)
    test(`${name} matches golden/${name}.txt`, () => golden(name, render(s, caps)));
});

describe('ffmpeg argument rules', () => {
  const job = (s: Settings, sourceFps: number | null = 30) => {
    const choice = chooseEncoder(s, debianCapabilities());
    assert.ok(choice.ok);
    return buildFfmpegArgs(s, choice.plan, { url: URL_WITH_TOKEN, sourceFps });
  };
  const after = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

  test('one ffmpeg decodes once and splits the video into every rendition', () => {
    const { args } = job(settings());
    assert.equal(args.filter((a) => a === '-i').length, 1);
    assert.match(after(args, '-filter_complex')!, /^\[0:v:0\]split=3\[s0\]\[s1\]\[s2\];/);
  });

  test('every rendition gets keyframes at the same instants (GOP seconds), scene cuts off', () => {
    const { args } = job(settings());
    assert.equal(after(args, '-force_key_frames:v'), 'expr:gte(t,n_forced*2)');
    assert.equal(after(args, '-g:v:0'), '60');
    assert.equal(after(args, '-keyint_min:v:0'), '60');
    assert.equal(after(args, '-sc_threshold:v'), '0');
  });

  test('a rendition frame-rate cap lowers its fps and its GOP in frames, not its GOP in seconds', () => {
    const s = settings();
    const { args } = job(s, 50);
    assert.equal(renditionFps(s, s.ladder.renditions[2]!, 50), 30);
    assert.equal(after(args, '-g:v:2'), '60');
    assert.equal(after(args, '-g:v:0'), '100');
    assert.match(after(args, '-filter_complex')!, /\[s2\]fps=30,scale=/);
  });

  test('HLS is fMP4 with a master playlist, program date time and a bounded, deleted window', () => {
    const { args } = job(settings());
    assert.equal(after(args, '-hls_segment_type'), 'fmp4');
    assert.equal(after(args, '-master_pl_name'), 'master.m3u8');
    assert.equal(after(args, '-hls_list_size'), '6');
    assert.match(after(args, '-hls_flags')!, /delete_segments/);
    assert.match(after(args, '-hls_flags')!, /program_date_time/);
    assert.equal(after(args, '-var_stream_map'), 'v:0,a:0,name:1080p v:1,a:1,name:720p v:2,a:2,name:360p');
  });

  test('the pull has a read timeout and progress goes to stdout', () => {
    const { args } = job(settings((c) => (c.ingest.readTimeoutSeconds = 3)));
    assert.equal(after(args, '-rw_timeout'), '3000000');
    assert.ok(args.indexOf('-rw_timeout') < args.indexOf('-i'));
    assert.equal(after(args, '-progress'), 'pipe:1');
  });

  test('the arguments as logged never contain the play token', () => {
    const { args } = job(settings());
    assert.ok(args.includes(URL_WITH_TOKEN));
    assert.ok(!redactArgs(args).join(' ').includes('golden-token-1234'));
  });
});
