// Helpers for the operator's integration tests: start the real operator against the local cluster,
// read objects as JSON, wait for conditions.
import assert from 'node:assert/strict';
import path from 'node:path';
import type { TestCluster } from '../../../localcluster/src/testing.js';
import type { Condition, LiveStream } from '../../../operator/api/v1alpha1/index.js';
import { repoRoot } from '../../../tools/chart/generate.js';
import { Proc, freePort, until } from '../support/processes.js';

export interface RunningOperator {
  proc: Proc;
  port: number;
  metrics(): Promise<string>;
}

export async function startOperator(
  cluster: TestCluster,
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<RunningOperator> {
  const port = await freePort();
  const proc = new Proc(
    name,
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(repoRoot, 'operator/main.ts'),
      `--kubeconfig=${cluster.kubeconfigPath}`,
      '--http-host=127.0.0.1',
      `--http-port=${port}`,
      ...args,
    ],
    { cwd: repoRoot, env: { ...process.env, ...env } },
  );
  try {
    await until(
      `${name} ready`,
      async () => {
        if (!proc.running) throw new Error(proc.tail(40));
        return (await fetch(`http://127.0.0.1:${port}/readyz`)).ok;
      },
      60_000,
      250,
    );
  } catch (err) {
    // Not handed to the caller, so stopped here: a running child would keep the test process alive.
    await proc.stop();
    throw new Error(`${(err as Error).message}\n${proc.tail(20)}`, { cause: err });
  }
  return {
    proc,
    port,
    metrics: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
  };
}

/** The project's CRDs, server-side applied (idempotent; any earlier field manager overruled), Established. */
export async function installCrds(cluster: TestCluster): Promise<void> {
  for (const args of [
    ['apply', '--server-side', '--force-conflicts', '-f', path.join(repoRoot, 'crds')],
    [
      'wait',
      '--for=condition=Established',
      'crd/livestreams.livestream-operator.io',
      'crd/transcodeprofiles.livestream-operator.io',
    ],
  ]) {
    const r = await cluster.kubectl(args, { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  }
}

export function kubectlJson(cluster: TestCluster) {
  return async <T>(args: string[]): Promise<T> => {
    const r = await cluster.kubectl([...args, '-o', 'json'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
}

export function condition(ls: LiveStream | undefined, type: string): Condition | undefined {
  return ls?.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the LiveStream satisfies `check`; the error shows its last conditions. */
export async function waitFor(
  get: () => Promise<LiveStream>,
  what: string,
  check: (ls: LiveStream) => boolean,
  timeoutMs = 60_000,
): Promise<LiveStream> {
  let last: LiveStream | undefined;
  try {
    return await until(
      what,
      async () => {
        last = await get();
        return check(last) ? last : undefined;
      },
      timeoutMs,
      250,
    );
  } catch (err) {
    const summary = (last?.status?.conditions ?? []).map(
      (c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`,
    );
    throw new Error(`${(err as Error).message}\n${summary.join('\n')}`);
  }
}
