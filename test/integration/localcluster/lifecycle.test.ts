// Starting and stopping leaves nothing behind: the test helper twice in one run, `cluster:up` /
// `cluster:down` with reuse, a stale and a broken .cluster/, Ctrl-C mid-start, and the clear
// failures (busy port, no Go, failed build, bad pool file). Each case runs in a private TMPDIR and
// .cluster dir, so other clusters on this shared machine are never touched or counted.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pidAlive, processState, type ProcessRecord } from '../../../localcluster/src/processes.js';
import { launcherComponents, resolveBinDir } from '../../../localcluster/src/binaries.js';
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
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

type Watcher = (text: string, child: ReturnType<typeof spawn>) => void;

function run(args: string[], env: NodeJS.ProcessEnv, onStderr?: Watcher, onStdout?: Watcher): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      onStdout?.(stdout, child);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      onStderr?.(stderr, child);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
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
  test('the test helper starts and stops a cluster twice in one run (stop(), then Ctrl-C) and leaves no process', async () => {
    const { env, tmp } = await privateEnv('helper');
    let interrupted = false;
    const result = await run(
      ['test/integration/localcluster/fixtures/use-cluster-twice.ts'],
      env,
      undefined,
      (stdout, child) => {
        if (!interrupted && stdout.trim().split('\n').length === 2) {
          interrupted = true;
          child.kill('SIGINT');
        }
      },
    );
    assert.equal(result.signal, 'SIGINT', `the second cluster was up when interrupted: ${result.stderr}`);
    type Round = { code: number; nodes: number; dataDir: string; processes: ProcessRecord[] };
    const rounds = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Round);
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

  test('cluster:up runs detached, reuses a healthy cluster, refuses a broken one; cluster:down stops it', async () => {
    const { env, tmp, clusterDir } = await privateEnv('cli');
    const first = await cli('up', env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim(), path.join(clusterDir, 'kubeconfig'));
    const state = await readState(clusterDir);
    assert.equal(running(state.processes).length, 5, 'the components outlive the cluster:up process');

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

  test('a stale .cluster/ from a killed run is cleaned up, and a reused pid is never signalled', async () => {
    const { env, tmp, clusterDir } = await privateEnv('stale');
    // A record whose etcd is long gone and whose "kube-apiserver" pid now belongs to another program.
    const stranger = spawn('sleep', ['60'], { stdio: 'ignore' });
    const gone = spawn('true', [], { stdio: 'ignore' });
    await new Promise((r) => gone.once('exit', r));
    const dataDir = await mkdtemp(path.join(tmp, 'livestream-cluster-'));
    const record = (name: string, pid: number): ProcessRecord => ({
      name,
      pid,
      startTime: 1,
      exe: `/nonexistent/${name}`,
    });
    const stale: ClusterState = {
      version: 1,
      dataDir,
      kubeconfigPath: path.join(clusterDir, 'kubeconfig'),
      server: 'https://127.0.0.1:1',
      binDir: '/nonexistent',
      poolsFile: path.join(repoRoot, 'localcluster/pools/default.yaml'),
      nodeCount: 9,
      ports: { etcdClient: 1, etcdPeer: 2, apiserver: 3 },
      owner: { pid: gone.pid!, startTime: 1, detached: true },
      processes: [record('etcd', gone.pid!), record('kube-apiserver', stranger.pid!)],
      startedAt: new Date().toISOString(),
    };
    await mkdir(clusterDir, { recursive: true });
    await writeFile(path.join(clusterDir, 'state.json'), JSON.stringify(stale));
    await writeFile(path.join(clusterDir, 'kubeconfig'), 'stale');
    try {
      // A busy port ends this start right after the clean-up, so no second cluster has to start here.
      const holder = net.createServer().listen(0, '127.0.0.1');
      await new Promise((r) => holder.once('listening', r));
      const port = (holder.address() as net.AddressInfo).port;
      const result = await cli('up', env, '--apiserver-port', String(port)).finally(() => holder.close());
      assert.match(result.stderr, /whose processes no longer run .*cleaning it up/);
      assert.match(result.stderr, /LSO_CLUSTER_PORT_BUSY/);
      assert.equal(result.code, 1);
      assert.equal(existsSync(path.join(clusterDir, 'state.json')), false);
      assert.equal(existsSync(path.join(clusterDir, 'kubeconfig')), false);
      assert.equal(existsSync(dataDir), false);
      assert.equal(stranger.exitCode, null, 'the program that got the old pid still runs');
      assert.ok(pidAlive(stranger.pid!));
    } finally {
      stranger.kill('SIGKILL');
    }
    await assertNothingLeft(tmp);
  });

  test('Ctrl-C during cluster:up stops what had started and leaves nothing behind', async () => {
    const { env, tmp, clusterDir } = await privateEnv('interrupt');
    let sent = false;
    const result = await run(['localcluster/src/cli.ts', 'up'], env, (stderr, child) => {
      if (!sent && /certificates and kubeconfigs made/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    assert.ok(sent, `the start got as far as launching etcd: ${result.stderr}`);
    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stderr, /interrupted; stopped the components that had started/);
    assert.equal(existsSync(path.join(clusterDir, 'state.json')), false);
    assert.equal(existsSync(path.join(clusterDir, 'kubeconfig')), false);
    await assertNothingLeft(tmp);
  });

  test('Ctrl-C while the test helper starts a cluster stops what had started and leaves nothing behind', async () => {
    const { env, tmp } = await privateEnv('helper-interrupt');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/integration/localcluster/fixtures/use-cluster.ts'],
      {
        cwd: repoRoot,
        env,
        stdio: 'ignore',
      },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, sig) => resolve(sig)),
    );
    // Interrupt once etcd runs (its log exists).
    const started = () => readdirSync(tmp).some((d) => existsSync(path.join(tmp, d, 'logs', 'etcd.log')));
    const deadline = Date.now() + 120_000;
    while (!started() && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));
    assert.ok(started(), 'the helper got as far as starting etcd');
    child.kill('SIGINT');
    assert.equal(await exited, 'SIGINT', 'the process ends by the signal, as it would without the helper');
    await assertNothingLeft(tmp);
  });

  test('a component that exits during the start fails it at once, quoting its log, and leaves nothing', async () => {
    const built = await resolveBinDir();
    const assets = await mkdtemp(path.join(sandbox, 'assets-'));
    for (const name of launcherComponents)
      if (name !== 'kube-apiserver') await symlink(path.join(built, name), path.join(assets, name));
    await writeFile(
      path.join(assets, 'kube-apiserver'),
      '#!/bin/sh\necho "E1123 run.go:72] simulated: error creating self-signed certificates" >&2\nexit 1\n',
    );
    await chmod(path.join(assets, 'kube-apiserver'), 0o755);
    const cache = await mkdtemp(path.join(sandbox, 'cache-'));
    const { env, tmp, clusterDir } = await privateEnv('crash', {
      KUBEBUILDER_ASSETS: assets,
      LIVESTREAM_CACHE_DIR: cache,
    });
    const result = await cli('up', env);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /kube-apiserver exited \(exit code 1\) while waiting for kube-apiserver ready/,
    );
    assert.match(result.stderr, /simulated: error creating self-signed certificates/);
    assert.match(result.stderr, /LSO_CLUSTER_START_FAILED/);
    assert.equal(existsSync(path.join(clusterDir, 'state.json')), false);
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
