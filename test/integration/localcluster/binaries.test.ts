// KUBEBUILDER_ASSETS (envtest's convention) is honoured: its binaries are used as they are and only
// what it lacks comes from the Go-module build, all in one folder the launcher can run from.
import assert from 'node:assert/strict';
import { mkdtemp, readlink, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { launcherComponents, resolveBinDir, versionCacheDir } from '../../../localcluster/src/binaries.js';

test('KUBEBUILDER_ASSETS with etcd, kube-apiserver and kubectl: those are used, the rest come from the build', async () => {
  const built = await resolveBinDir();
  assert.equal(built, versionCacheDir());
  const assets = await mkdtemp(path.join(os.tmpdir(), 'livestream-kubebuilder-assets-'));
  let merged: string | undefined;
  try {
    for (const name of ['etcd', 'kube-apiserver', 'kubectl'])
      await symlink(path.join(built, name), path.join(assets, name));
    merged = await resolveBinDir({ env: { ...process.env, KUBEBUILDER_ASSETS: assets } });
    assert.notEqual(merged, built);
    for (const name of launcherComponents) {
      const target: string = await readlink(path.join(merged, name));
      const fromAssets = ['etcd', 'kube-apiserver', 'kubectl'].includes(name);
      assert.equal(target, path.join(fromAssets ? assets : built, name), name);
    }
  } finally {
    await rm(assets, { recursive: true, force: true });
    if (merged) await rm(merged, { recursive: true, force: true });
  }
});
