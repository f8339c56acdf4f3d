import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { renderAll } from '../../../operator/api/render.js';
import { v1alpha1 } from '../../../operator/api/v1alpha1/schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fix = 'operator/api/v1alpha1/schema.ts changed without regenerating: run npm run generate';

test('the committed CRDs, types and docs/api.md match the schema', async () => {
  for (const file of await renderAll(v1alpha1)) {
    let committed: string;
    try {
      committed = readFileSync(join(root, file.path), 'utf8');
    } catch {
      assert.fail(`${file.path} is missing; ${fix}`);
    }
    // Compare line by line first so a failure points at the first stale line, not a 100 kB blob.
    const want = file.content.split('\n');
    const have = committed.split('\n');
    const line = want.findIndex((l, i) => l !== have[i]);
    assert.ok(
      line === -1 && want.length === have.length,
      `${file.path} is out of date (line ${line + 1}: expected ${JSON.stringify(want[line])}, found ${JSON.stringify(have[line])}); ${fix}`,
    );
  }
});

test('crds/ holds only generated CRDs (a renamed kind leaves no stale file behind)', async () => {
  const generated = (await renderAll(v1alpha1)).map((f) => f.path).filter((p) => p.startsWith('crds/'));
  const present = readdirSync(join(root, 'crds')).map((f) => `crds/${f}`);
  assert.deepEqual(present.sort(), generated.sort(), `stale or foreign files in crds/; ${fix}`);
});

test('the generated files are deterministic', async () => {
  const [a, b] = [await renderAll(v1alpha1), await renderAll(v1alpha1)];
  assert.deepEqual(a, b);
});
