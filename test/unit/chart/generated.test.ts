// Files derived from another source are up to date: the chart's CRDs are byte-for-byte the
// repository's crds/, and the schema, dashboard, argocd-cm snippets and the docs/helm.md values table
// match their sources. Fix: npm run chart:generate.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { generatedFiles, repoRoot, staleCrdCopies } from '../../../tools/chart/generate.js';

function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i])
      return `line ${i + 1}: committed ${JSON.stringify(la[i])}, generated ${JSON.stringify(lb[i])}`;
  }
  return 'no difference';
}

describe('generated chart files', async () => {
  const files = await generatedFiles();

  for (const [rel, expected] of files) {
    it(`${rel} is up to date`, () => {
      const file = path.join(repoRoot, rel);
      assert.ok(existsSync(file), `${rel} is missing: run npm run chart:generate`);
      const actual = readFileSync(file, 'utf8');
      assert.ok(
        actual === expected,
        `${rel} is stale (${firstDifference(actual, expected)}): run npm run chart:generate`,
      );
    });
  }

  it('the chart carries every CRD of crds/ and no other', () => {
    assert.deepEqual(
      staleCrdCopies(),
      [],
      'CRD copies without a source in crds/: run npm run chart:generate',
    );
    const crds = [...files.keys()].filter((k) => k.startsWith('charts/livestream-operator/files/crds/'));
    assert.deepEqual(
      crds.map((k) => path.basename(k)),
      ['livestream-operator.io_livestreams.yaml', 'livestream-operator.io_transcodeprofiles.yaml'],
    );
  });
});
