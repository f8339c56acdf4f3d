// Starting and stopping leaves nothing behind: the test helper twice in one run, `cluster:up` /
// `cluster:down` with reuse, a stale and a broken .cluster/, Ctrl-C mid-start, and the clear
// failures (busy port, no Go, failed build, bad pool file). Each case runs in a private TMPDIR and
// .cluster dir, so other clusters on this shared machine are never touched or counted.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { processState, type ProcessRecord } from '../../../localcluster/src/processes.js';
import { repoRoot } from '../../../localcluster/src/paths.js';
import type { ClusterState } from '../../../localcluster/src/state.js';

let sandbox: string;

before(async () => {
  sandbox = await mkdtemp(path.join(os.tmpdir(), 'livestream-lifecycle-test-'));
});
after(async () => {
  // Whatever a failed assertion left running: stop it by pid (only processes started under the sandbox).
  for (const pid of processesMentioning(sandbox)) process.kill(pid, 'SIGKILL');
  await rm(sandbox, { recursive: true, force: true });
});

/** Pids whose command line mentions `text` (our components name their data dir in their flags). */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
  onStderr?: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      onStderr?.(stderr, child);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** An environment with a private TMPDIR and .cluster dir, and no shared cluster. */
async function privateEnv(
  name: string,
  extra: NodeJS.ProcessEnv = {},
): Promise<{ env: NodeJS.ProcessEnv; tmp: string; clusterDir: string }> {
  const tmp = await mkdtemp(path.join(sandbox, `${name}-tmp-`));
  const clusterDir = path.join(sandbox, `${name}-cluster`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TMPDIR: tmp,
    LIVESTREAM_CLUSTER_DIR: clusterDir,
    ...extra,
  };
  delete env.LIVESTREAM_KUBECONFIG;
  delete env.LIVESTREAM_CLUSTER_POOLS;
  return { env, tmp, clusterDir };
}

const cli = (command: string, env: NodeJS.ProcessEnv, ...args: string[]) =>
  run(['localcluster/src/cli.ts', command, ...args], env);
const readState = async (clusterDir: string) =>
  JSON.parse(await readFile(path.join(clusterDir, 'state.json'), 'utf8')) as ClusterState;
const running = (records: ProcessRecord[]) =>
  records.filter((p) => processState(p) === 'running').map((p) => p.name);

async function assertNothingLeft(tmp: string): Promise<void> {
  assert.deepEqual(processesMentioning(tmp), [], 'no process runs from the private TMPDIR');
  assert.deepEqual(
    (await readdir(tmp)).filter((e) => e.startsWith('livestream-cluster-')),
    [],
    'no data dir is left',
  );
}

describe('the cluster lifecycle', () => {
  test('the test helper starts and stops a cluster twice in one run and leaves no process', async () => {
    const { env, tmp } = await privateEnv('helper');
    const result = await run(['test/integration/localcluster/fixtures/use-cluster-twice.ts'], env);
    assert.equal(result.code, 0, result.stderr);
    const rounds = result.stdout
      .trim()
      .split('\n')
      .map(
        (l) => JSON.parse(l) as { code: number; nodes: number; dataDir: string; processes: ProcessRecord[] },
      );
    assert.equal(rounds.length, 2);
    for (const round of rounds) {
      assert.equal(round.code, 0);
      assert.equal(round.nodes, 9);
      assert.equal(round.processes.length, 5);
      assert.deepEqual(running(round.processes), []);
      assert.equal(existsSync(round.dataDir), false);
    }
    assert.notEqual(rounds[0]!.dataDir, rounds[1]!.dataDir);
    await assertNothingLeft(tmp);
  });

  test('cluster:up runs detached, cleans a stale record, reuses a healthy cluster, refuses a broken one; cluster:down stops it', async () => {
    const { env, tmp, clusterDir } = await privateEnv('cli');
    const first = await cli('up', env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim(), path.join(clusterDir, 'kubeconfig'));
    const firstState = await readState(clusterDir);
    assert.equal(running(firstState.processes).length, 5, 'the components outlive the cluster:up process');

    // A killed run: every process gone, the record left behind.
    for (const p of firstState.processes) process.kill(p.pid, 'SIGKILL');
    const second = await cli('up', env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /whose processes no longer run .*cleaning it up/);
    const state = await readState(clusterDir);
    assert.notEqual(state.dataDir, firstState.dataDir);
    assert.equal(existsSync(firstState.dataDir), false);

    const reuse = await cli('up', env);
    assert.equal(reuse.code, 0, reuse.stderr);
    assert.match(reuse.stderr, /already running .*reusing it/);
    assert.equal(reuse.stdout.trim(), path.join(clusterDir, 'kubeconfig'));
    assert.equal((await readState(clusterDir)).dataDir, state.dataDir);

    const apiserver = state.processes.find((p) => p.name === 'kube-apiserver')!;
    process.kill(apiserver.pid, 'SIGKILL');
    const broken = await cli('up', env);
    assert.equal(broken.code, 1);
    assert.match(
      broken.stderr,
      /is broken: kube-apiserver \(pid \d+\) is not running.*\n.*npm run cluster:down/,
    );
    assert.match(broken.stderr, /LSO_CLUSTER_BROKEN/);

    const down = await cli('down', env);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stderr, /kube-apiserver \(pid \d+\): already gone/);
    assert.match(down.stderr, /etcd \(pid \d+\): stopped/);
    assert.deepEqual(running(state.processes), []);
    assert.equal(existsSync(path.join(clusterDir, 'state.json')), false);
    assert.equal(existsSync(path.join(clusterDir, 'kubeconfig')), false);
    await assertNothingLeft(tmp);

    const again = await cli('down', env);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /nothing to stop/);
  });

  test('Ctrl-C during cluster:up stops what had started and leaves nothing behind', async () => {
    const { env, tmp, clusterDir } = await privateEnv('interrupt');
    let sent = false;
    const result = await run(['localcluster/src/cli.ts', 'up'], env, (stderr, child) => {
      if (!sent && /kube-apiserver ready/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    assert.ok(sent, `the start got as far as the API server: ${result.stderr}`);
    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stderr, /interrupted; stopped the components that had started/);
    assert.equal(existsSync(path.join(clusterDir, 'state.json')), false);
    assert.equal(existsSync(path.join(clusterDir, 'kubeconfig')), false);
    await assertNothingLeft(tmp);
  });

  test('a busy API server port is named, with what to do', async () => {
    const { env, tmp } = await privateEnv('port');
    const holder = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => holder.once('listening', r));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const result = await cli('up', env, '--apiserver-port', String(port));
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        new RegExp(
          `kube-apiserver port 127\\.0\\.0\\.1:${port} is already in use .*stop that program, or choose another port.*LSO_CLUSTER_PORT_BUSY`,
        ),
      );
    } finally {
      holder.close();
    }
    await assertNothingLeft(tmp);
  });

  test('no Go toolchain and no binaries: says so and how to fix it, without hanging', async () => {
    const cache = await mkdtemp(path.join(sandbox, 'empty-cache-'));
    const { env } = await privateEnv('nogo', { PATH: '/usr/bin:/bin', LIVESTREAM_CACHE_DIR: cache });
    const result = await cli('up', env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Go is not installed.*not built yet: etcd kube-apiserver/);
    assert.match(result.stderr, /KUBEBUILDER_ASSETS.*LSO_CLUSTER_BINARIES_MISSING/s);
  });

  test('a failed build: names the component, keeps nothing half-built', async () => {
    const cache = await mkdtemp(path.join(sandbox, 'empty-cache-'));
    const fakeBin = await mkdtemp(path.join(sandbox, 'fake-go-'));
    await writeFile(
      path.join(fakeBin, 'go'),
      '#!/bin/sh\necho "go: simulated compiler failure" >&2\nexit 1\n',
    );
    await chmod(path.join(fakeBin, 'go'), 0o755);
    const { env } = await privateEnv('badbuild', {
      PATH: `${fakeBin}:/usr/bin:/bin`,
      LIVESTREAM_CACHE_DIR: cache,
    });
    const result = await cli('up', env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /simulated compiler failure/);
    assert.match(result.stderr, /building etcd failed .*nothing was installed/);
    assert.match(result.stderr, /LSO_CLUSTER_BUILD_FAILED/);
    const built = await readdir(path.join(cache, 'bin'), { recursive: true });
    assert.deepEqual(
      built.filter((f) => !f.endsWith('.lock') && f.includes('/')),
      [],
    );
  });

  test('a bad pool file is refused before anything starts, naming the field', async () => {
    const { env, tmp } = await privateEnv('pools');
    const file = path.join(sandbox, 'bad-pools.yaml');
    await writeFile(
      file,
      'pools:\n  - name: gpu\n    capacity: { cpu: "8", memory: 32Gi, pods: "110", nvidia.com/gpu: "half" }\n',
    );
    const result = await cli('up', env, '--pools', file);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /bad-pools\.yaml: pools\[0\]\.capacity\["nvidia\.com\/gpu"\]: "half" is not a Kubernetes quantity/,
    );
    await assertNothingLeft(tmp);
  });
});
