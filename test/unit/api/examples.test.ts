// The examples cover what the issue asks for, say in a comment what they show, and point at each
// other correctly. That they are valid is proven against the API server (test/integration/api).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { LiveStream, TranscodeProfile } from '../../../operator/api/v1alpha1/index.js';
import { acceleratorOrder } from '../../../operator/api/v1alpha1/index.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const texts = new Map(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
const objects = files.map((f) => {
  const docs = parseAllDocuments(texts.get(f)!);
  assert.equal(docs.length, 1, `${f}: one object per file`);
  return { file: f, object: docs[0]!.toJS() as LiveStream | TranscodeProfile };
});
const profiles = objects.flatMap(({ object }) => (object.kind === 'TranscodeProfile' ? [object] : []));
const streams = objects.flatMap(({ object }) => (object.kind === 'LiveStream' ? [object] : []));
const profile = (name: string) => profiles.find((p) => p.metadata.name === name);

describe('examples', () => {
  test('each file starts with a comment that says what it shows', () => {
    for (const [file, text] of texts) {
      const comment = text.split('\n').filter((l) => l.startsWith('#'));
      assert.ok(text.startsWith('# ') && comment.join(' ').length > 80, `${file} needs a comment`);
      assert.match(file, /^(livestream|transcodeprofile)-[a-z0-9-]+\.yaml$/);
      assert.ok(file.startsWith(objects.find((o) => o.file === file)!.object.kind.toLowerCase()));
    }
  });

  test('the seed ladder is 1080p 5M/192k, 720p 3M/128k, 480p 1.5M/128k, 360p 800k/96k', () => {
    const ladder = profile('seed-ladder')!.spec.renditions.map((r) => [
      r.height,
      r.videoBitrateKbps,
      r.audioBitrateKbps,
    ]);
    assert.deepEqual(ladder, [
      [1080, 5000, 192],
      [720, 3000, 128],
      [480, 1500, 128],
      [360, 800, 96],
    ]);
  });

  test('there is a low-latency profile with two renditions', () => {
    const lowLatency = profile('low-latency')!;
    assert.equal(lowLatency.spec.renditions.length, 2);
    assert.equal(lowLatency.spec.video.gopSeconds, 1);
  });

  test('streams prefer NVIDIA with CPU fallback, prefer AMD, run on CPU only, and refuse fallback', () => {
    // Examples are written without defaults, so fill in the two that matter here as the server would.
    const shapes = streams.map((s) =>
      acceleratorOrder({
        acceleratorPreference: s.spec.placement?.acceleratorPreference ?? ['nvidia', 'amd', 'cpu'],
        allowCpuFallback: s.spec.placement?.allowCpuFallback ?? true,
      }),
    );
    assert.ok(shapes.some((order) => order[0] === 'nvidia' && order.includes('cpu')));
    assert.ok(shapes.some((order) => order[0] === 'amd'));
    assert.ok(shapes.some((order) => order.length === 1 && order[0] === 'cpu'));
    assert.ok(streams.some((s) => s.spec.placement?.allowCpuFallback === false));
  });

  test('every stream points at an example profile', () => {
    for (const s of streams) assert.ok(profile(s.spec.profileRef.name), s.metadata.name);
  });
});
