// Builds every image of images/Dockerfile the way a machine without a Docker engine can (Debian's
// buildah on a locally made Node base: images/build.sh), then checks each one from the inside: the
// entrypoint runs and prints --help as the non-root user, only production files are there, and the
// transcoder images carry an ffmpeg with the encoders their accelerator needs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildImages, type BuiltImage, type ImageBuild } from '../../../localcluster/src/realnode/images.js';
import { run } from '../../../localcluster/src/realnode/exec.js';

const canBuild = process.getuid?.() === 0 && process.platform === 'linux';
const programs = {
  operator: 'livestream-operator',
  ingest: 'livestream-ingest',
  transcoder: 'livestream-transcoder',
  'transcoder-nvidia': 'livestream-transcoder',
} as const;

describe(
  'container images (images/build.sh)',
  { skip: !canBuild && 'needs root on Linux (buildah, debootstrap)', timeout: 30 * 60_000 },
  () => {
    let build: ImageBuild;
    const containers: string[] = [];
    const buildah = (...args: string[]) =>
      run(['buildah', ...build.buildah, ...args], { timeoutMs: 300_000 });
    const image = (target: string): BuiltImage => {
      const found = build.images.find((i) => i.target === target);
      assert.ok(found, `no image for target ${target}`);
      return found;
    };
    /** A working container of the image, removed after the suite. */
    const from = async (ref: string) => {
      const name = (await buildah('from', '--pull=never', ref)).stdout.trim();
      containers.push(name);
      return name;
    };
    const config = async (ref: string) => {
      const out = (await buildah('inspect', '--type', 'image', ref)).stdout;
      return (JSON.parse(out) as { OCIv1: { config: OciConfig } }).OCIv1.config;
    };

    before(async () => {
      build = await buildImages({
        targets: ['operator', 'ingest', 'transcoder', 'transcoder-nvidia', 'pause'],
        onProgress: (line) => process.stderr.write(`${line}\n`),
      });
      for (const i of build.images) {
        process.stderr.write(`image ${i.ref}: ${(i.sizeBytes / 1e6).toFixed(0)} MB, ${i.buildSeconds} s\n`);
      }
    });
    after(async () => {
      if (containers.length) await buildah('rm', ...containers);
    });

    for (const [target, program] of Object.entries(programs)) {
      test(`${target}: the entrypoint prints --help as uid 65532`, async () => {
        const { ref } = image(target);
        const cfg = await config(ref);
        assert.equal(cfg.User, '65532:65532');
        assert.equal(cfg.WorkingDir, '/app');
        assert.deepEqual(cfg.Entrypoint, ['node', `dist/${target.replace(/-nvidia$/, '')}/main.js`]);
        assert.ok(cfg.Env?.includes('NODE_ENV=production'), 'NODE_ENV=production');
        const ctr = await from(ref);
        const { stdout } = await buildah('run', '--user', cfg.User, ctr, '--', ...cfg.Entrypoint, '--help');
        assert.match(stdout, new RegExp(`Usage: ${program}\\b`));
      });

      test(`${target}: production files only`, async () => {
        const ctr = await from(image(target).ref);
        const app = (await buildah('run', ctr, '--', 'ls', '-A', '/app')).stdout.trim().split('\n');
        assert.deepEqual(app, ['dist', 'node_modules', 'package.json']);
        const modules = (await buildah('run', ctr, '--', 'ls', '/app/node_modules')).stdout;
        for (const dev of ['typescript', 'eslint', 'tsx', 'prettier', 'playwright-core']) {
          assert.doesNotMatch(modules, new RegExp(`^${dev}$`, 'm'), `${dev} is a devDependency`);
        }
      });
    }

    test('transcoder: ffmpeg has libx264 and VAAPI, and the AMD VAAPI driver is installed', async () => {
      const ctr = await from(image('transcoder').ref);
      const { stdout } = await buildah('run', ctr, '--', 'ffmpeg', '-hide_banner', '-encoders');
      assert.match(stdout, / libx264 /);
      assert.match(stdout, / h264_vaapi /);
      await buildah('run', ctr, '--', 'test', '-f', '/usr/lib/x86_64-linux-gnu/dri/radeonsi_drv_video.so');
    });

    test('transcoder-nvidia: ffmpeg has NVENC and asks the NVIDIA runtime for the video libraries', async () => {
      const { ref } = image('transcoder-nvidia');
      const cfg = await config(ref);
      assert.ok(cfg.Env?.includes('NVIDIA_DRIVER_CAPABILITIES=compute,video,utility'));
      assert.ok(
        !cfg.Env?.some((e) => e.startsWith('NVIDIA_VISIBLE_DEVICES=')),
        'the device plugin picks the GPUs',
      );
      const ctr = await from(ref);
      const { stdout } = await buildah('run', ctr, '--', 'ffmpeg', '-hide_banner', '-encoders');
      assert.match(stdout, / h264_nvenc /);
      assert.match(stdout, / hevc_nvenc /);
    });

    test('pause: one static binary, non-root', async () => {
      const cfg = await config(image('pause').ref);
      assert.deepEqual(cfg.Entrypoint, ['/pause']);
      assert.equal(cfg.User, '65535:65535');
      assert.ok(image('pause').sizeBytes < 5e6, `pause image is ${image('pause').sizeBytes} bytes`);
    });
  },
);

interface OciConfig {
  User: string;
  WorkingDir?: string;
  Entrypoint: string[];
  Env?: string[];
}
