import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseEncoder } from '../../../transcoder/ffmpeg/encoders.js';
import {
  lastErrorLine,
  parseEncoders,
  parseFilters,
  parseVersion,
  probe,
  runFfmpeg,
  type Run,
} from '../../../transcoder/ffmpeg/probe.js';
import { amfCapabilities, debianCapabilities, fixture, settings } from './fixtures.js';

describe('probing ffmpeg', () => {
  test('the version is read from the first line of -version', () => {
    assert.equal(parseVersion(fixture('ffmpeg-5.1-debian-version.txt')), '5.1.9-0+deb12u1');
    assert.equal(parseVersion('ffmpeg version n7.1 Copyright (c) 2000-2024'), 'n7.1');
    assert.throws(() => parseVersion('bash: ffmpeg: not found'), /cannot read the ffmpeg version/);
  });

  test("Debian bookworm's ffmpeg has NVENC, VAAPI and QSV encoders but no AMF", () => {
    const encoders = parseEncoders(fixture('ffmpeg-5.1-debian-encoders.txt'));
    for (const e of [
      'libx264',
      'libx265',
      'h264_nvenc',
      'hevc_nvenc',
      'h264_vaapi',
      'hevc_vaapi',
      'h264_qsv',
      'hevc_qsv',
      'aac',
    ])
      assert.ok(encoders.has(e), e);
    for (const e of ['h264_amf', 'hevc_amf', 'av1_nvenc', '=']) assert.ok(!encoders.has(e), e);
  });

  test("Debian bookworm's ffmpeg has scale_cuda, scale_vaapi, scale_qsv and hwupload_cuda but no scale_npp", () => {
    const filters = parseFilters(fixture('ffmpeg-5.1-debian-filters.txt'));
    for (const f of [
      'scale',
      'split',
      'asplit',
      'fps',
      'pad',
      'scale_cuda',
      'scale_vaapi',
      'scale_qsv',
      'hwupload_cuda',
      'hwmap',
    ])
      assert.ok(filters.has(f), f);
    assert.ok(!filters.has('scale_npp'));
  });

  test('the ffmpeg on this machine, probed for real, says the same (no GPU here: NVENC does not open)', async () => {
    const s = settings((c) => (c.accelerator = 'nvidia'));
    const caps = await probe(s, runFfmpeg());
    assert.ok(caps.encoders.has('libx264') && caps.encoders.has('h264_nvenc'));
    assert.ok(!caps.encoders.has('h264_amf'));
    assert.match(caps.failedEncoders?.get('h264_nvenc') ?? '', /CUDA|cuda|nvenc|NVENC/);
    const choice = chooseEncoder(s, caps);
    assert.ok(choice.ok);
    assert.equal(choice.plan.encoder, 'libx264');
    assert.match(choice.plan.fallbackReason!, /^h264_nvenc did not open: /);
  });

  test("a trial that fails records ffmpeg's first error line, without the generic trailer lines", async () => {
    const run: Run = async (args) => {
      if (args.includes('-version'))
        return { code: 0, stdout: fixture('ffmpeg-5.1-debian-version.txt'), stderr: '' };
      if (args.includes('-encoders'))
        return { code: 0, stdout: fixture('ffmpeg-5.1-debian-encoders.txt'), stderr: '' };
      if (args.includes('-filters'))
        return { code: 0, stdout: fixture('ffmpeg-5.1-debian-filters.txt'), stderr: '' };
      return {
        code: 1,
        stdout: '',
        stderr:
          "[AVHWDeviceContext @ 0x1] No VA display found for device /dev/dri/renderD128.\nDevice creation failed: -22.\nFailed to set value 'vaapi=va'\nError parsing global options: Invalid argument\n",
      };
    };
    const caps = await probe(
      settings((c) => (c.accelerator = 'amd')),
      run,
    );
    assert.equal(
      caps.failedEncoders?.get('h264_vaapi'),
      '[AVHWDeviceContext @ 0x1] No VA display found for device /dev/dri/renderD128.',
    );
    assert.equal(lastErrorLine(''), 'no reason given');
  });
});

describe('choosing the encoder', () => {
  const cases: [
    string,
    Parameters<typeof settings>[0],
    ReturnType<typeof debianCapabilities>,
    string,
    string | RegExp | null,
  ][] = [
    ['cpu uses libx264 for h264', () => undefined, debianCapabilities(), 'libx264', null],
    ['cpu uses libx265 for hevc', (c) => (c.ladder.codec = 'hevc'), debianCapabilities(), 'libx265', null],
    [
      'nvidia uses NVENC when it opens',
      (c) => (c.accelerator = 'nvidia'),
      debianCapabilities(),
      'h264_nvenc',
      null,
    ],
    ['amd uses VAAPI by default', (c) => (c.accelerator = 'amd'), debianCapabilities(), 'h264_vaapi', null],
    [
      "amd asking for AMF on Debian's ffmpeg gets VAAPI, and says why",
      (c) => ((c.accelerator = 'amd'), (c.amdApi = 'amf')),
      debianCapabilities(),
      'h264_vaapi',
      /^h264_amf is not in this ffmpeg build \(5\.1\.9-0\+deb12u1\)$/,
    ],
    [
      'amd asking for AMF gets AMF where the build has it',
      (c) => ((c.accelerator = 'amd'), (c.amdApi = 'amf')),
      amfCapabilities(),
      'h264_amf',
      null,
    ],
    [
      'nvidia on a GPU without NVENC (H100) falls back to libx264 with the reason',
      (c) => (c.accelerator = 'nvidia'),
      debianCapabilities({ h264_nvenc: 'OpenEncodeSessionEx failed: unsupported device (2)' }),
      'libx264',
      'h264_nvenc did not open: OpenEncodeSessionEx failed: unsupported device (2)',
    ],
    [
      'amd with neither AMF nor VAAPI usable falls back to the CPU, listing both reasons',
      (c) => ((c.accelerator = 'amd'), (c.amdApi = 'amf')),
      debianCapabilities({ h264_vaapi: 'No VA display found' }),
      'libx264',
      'h264_amf is not in this ffmpeg build (5.1.9-0+deb12u1); h264_vaapi did not open: No VA display found',
    ],
    [
      'an Intel GPU on a cpu node uses QSV when asked',
      (c) => (c.device = { intel: 'qsv' }),
      debianCapabilities(),
      'h264_qsv',
      null,
    ],
  ];
  for (const [name, modify, caps, encoder, reason] of cases)
    test(name, () => {
      const choice = chooseEncoder(settings(modify), caps);
      assert.ok(choice.ok, choice.ok ? '' : choice.reason);
      assert.equal(choice.plan.encoder, encoder);
      if (reason === null) assert.equal(choice.plan.fallbackReason, null);
      else if (typeof reason === 'string') assert.equal(choice.plan.fallbackReason, reason);
      else assert.match(choice.plan.fallbackReason ?? '', reason);
    });

  test('with CPU fallback off, an unusable NVENC is a failure that says so', () => {
    const choice = chooseEncoder(
      settings((c) => ((c.accelerator = 'nvidia'), (c.allowCpuFallback = false))),
      debianCapabilities({ h264_nvenc: 'Cannot load libcuda.so.1' }),
    );
    assert.deepEqual(choice, {
      ok: false,
      reason:
        'h264_nvenc did not open: Cannot load libcuda.so.1; CPU fallback is off (allowCpuFallback: false)',
    });
  });

  test('an ffmpeg without libx265 cannot encode hevc on the CPU', () => {
    const caps = debianCapabilities();
    const without = { ...caps, encoders: new Set([...caps.encoders].filter((e) => e !== 'libx265')) };
    const choice = chooseEncoder(
      settings((c) => (c.ladder.codec = 'hevc')),
      without,
    );
    assert.deepEqual(choice, { ok: false, reason: 'libx265 is not in this ffmpeg build (5.1.9-0+deb12u1)' });
  });
});
