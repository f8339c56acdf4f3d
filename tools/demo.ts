// `npm run demo`: the main job on the embedded local cluster, no Kubernetes cluster needed.
//   1. a local control plane with simulated GPU nodes (kwok) and, when this machine can run one, a
//      real node (containerd + kubelet) that is the cluster's CPU pool; otherwise a simulated CPU pool,
//      and the demo says why;
//   2. the CRDs, the example TranscodeProfiles and LiveStreams (NVIDIA with CPU fallback, AMD, CPU
//      only, NVIDIA without fallback), and livestream-operator placing them;
//   3. on a real node: ffmpeg publishes a test pattern to the CPU stream's ingest Service with its
//      generated key, and the demo prints where to watch it;
//   4. `kubectl get livestreams` every few seconds until Ctrl-C (or --duration), then it stops
//      everything it started.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { healthProblems, startOwnedCluster, type RunningCluster } from '../localcluster/src/cluster.js';
import { runKubectl } from '../localcluster/src/kubectl.js';
import { clusterStateDir } from '../localcluster/src/paths.js';
import { realNodeSupport, startRealNode, type RealNode } from '../localcluster/src/realnode/index.js';
import { readState } from '../localcluster/src/state.js';

const repoRoot = path.resolve(import.meta.dirname, '..');
const NAMESPACE = 'demo';
const CPU_STREAM = 'town-hall'; // examples/livestream-cpu-only.yaml
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string' }, // seconds; default: until Ctrl-C
    simulated: { type: 'boolean', default: false }, // skip the real node
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (flags.help) {
  console.log(
    'npm run demo [-- --duration SECONDS] [-- --simulated]\n' +
      'Starts the local cluster (with a real node when this machine allows), the operator and the examples.',
  );
  process.exit(0);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A child whose output goes to the demo's log prefix only when it fails. */
function child(name: string, command: string, args: string[]): ChildProcess & { tail: string[] } {
  const proc = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & {
    tail: string[];
  };
  proc.tail = [];
  const keep = (chunk: Buffer) => {
    proc.tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    proc.tail.splice(0, Math.max(0, proc.tail.length - 30));
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  proc.on('exit', (code, signal) => {
    if (!stopping) console.error(`demo: ${name} exited (${code ?? signal}):\n  ${proc.tail.join('\n  ')}`);
  });
  return proc;
}

async function stopChild(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

let stopping = false;

async function main(): Promise<void> {
  const support = flags.simulated
    ? { ok: false, reasons: ['--simulated was given'] }
    : await realNodeSupport();
  const recorded = await readState(clusterStateDir()).catch(() => undefined);
  let owned: RunningCluster | undefined;
  let kubeconfigPath: string;
  let binDir: string;
  let realNode: RealNode | undefined;
  let why = support.ok ? '' : support.reasons.join('; ');

  if (recorded && (await healthProblems(recorded)).length === 0) {
    console.log(`Using the local cluster from npm run cluster:up (${recorded.kubeconfigPath}).`);
    ({ kubeconfigPath, binDir } = recorded);
    if (support.ok)
      why = 'the cluster from cluster:up is used as it is (start the demo without it for a real node)';
  } else {
    // With a real node it is the CPU pool: the simulated one would take the CPU stream's pods.
    const pools = support.ok ? 'gpu-only' : 'default';
    console.log(`Starting a local Kubernetes control plane (pools: ${pools})...`);
    owned = await startOwnedCluster({ pools, progress: (line) => console.log(`  ${line}`) });
    ({ kubeconfigPath, binDir } = owned);
    if (support.ok) {
      console.log('Starting a real node (containerd, kubelet, kube-proxy, CoreDNS; images built locally)...');
      try {
        realNode = await startRealNode({
          kubeconfigPath,
          taint: false,
          images: ['ingest', 'transcoder'],
          progress: (line) => console.log(`  ${line}`),
        });
        realNode.stopWhenProcessEnds();
      } catch (err) {
        // Without it the CPU pods would have no node: start over on the default pools.
        why = `the real node did not start: ${err instanceof Error ? err.message : String(err)}`;
        await owned.stop();
        console.log(`${why}\nStarting the local control plane again with a simulated CPU pool...`);
        owned = await startOwnedCluster({ pools: 'default', progress: (line) => console.log(`  ${line}`) });
        ({ kubeconfigPath, binDir } = owned);
      }
    }
  }
  if (!realNode)
    console.log(
      `\nNo real node (${why}): every pod is simulated, so streams are placed but nothing plays.\n`,
    );

  const kubectl = async (args: string[], input?: string) => {
    const r = await runKubectl(binDir, kubeconfigPath, args, { input, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  await kubectl(['apply', '--server-side', '-f', path.join(repoRoot, 'crds')]);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  await kubectl(['create', 'namespace', NAMESPACE]).catch(() => undefined);

  const httpPort = await freePort();
  const operator = child('livestream-operator', process.execPath, [
    '--import',
    'tsx',
    path.join(repoRoot, 'operator/main.ts'),
    `--kubeconfig=${kubeconfigPath}`,
    `--watch-namespaces=${NAMESPACE}`,
    '--http-host=127.0.0.1',
    `--http-port=${httpPort}`,
    '--ingest-image=localhost/livestream-ingest:dev',
    '--transcoder-image=localhost/livestream-transcoder:dev',
    '--image-pull-policy=Never',
  ]);
  let encoder: Publisher | undefined;
  const stopAll = async () => {
    stopping = true;
    await encoder?.stop();
    await kubectl(['delete', 'namespace', NAMESPACE, '--wait=false']).catch(() => undefined);
    await stopChild(operator);
    await realNode?.stop();
    await owned?.stop();
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(0)));
  process.once('SIGTERM', () => void stopAll().then(() => process.exit(0)));

  console.log(`livestream-operator started (metrics: http://127.0.0.1:${httpPort}/metrics).`);
  await prepareExamples(kubectl);
  await kubectl(['-n', NAMESPACE, 'apply', '-f', path.join(repoRoot, 'examples')]);
  console.log(`Applied examples/ to namespace ${NAMESPACE}.\n`);

  if (realNode) encoder = await publishTestPattern(kubectl, () => stopping);

  const until = flags.duration ? Date.now() + Number(flags.duration) * 1000 : Infinity;
  console.log(`Ctrl-C stops the demo and everything it started.\n`);
  while (!stopping && Date.now() < until) {
    const table = await kubectl(['-n', NAMESPACE, 'get', 'livestreams', '-o', 'wide']).catch(
      (e: Error) => e.message,
    );
    console.log(`${new Date().toISOString()}\n${table}`);
    await sleep(10_000);
  }
  if (!stopping) {
    console.log(
      `Placement, as the operator decided it:\n${await kubectl(['-n', NAMESPACE, 'get', 'livestreams', '-o', 'custom-columns=NAME:.metadata.name,ACCELERATOR:.status.placement.accelerator,ENCODER:.status.placement.encoder,REASON:.status.placement.reason,MESSAGE:.status.placement.message'])}`,
    );
    await stopAll();
  }
}

/**
 * What the examples expect a real cluster to have: the `nvidia` RuntimeClass (the NVIDIA GPU
 * Operator makes it) and studio-b's own Secrets (a stream key, and a certificate cert-manager would
 * issue; here a self-signed one).
 */
async function prepareExamples(kubectl: (args: string[], input?: string) => Promise<string>): Promise<void> {
  const runtimeClass = {
    apiVersion: 'node.k8s.io/v1',
    kind: 'RuntimeClass',
    metadata: { name: 'nvidia' },
    handler: 'nvidia',
  };
  await kubectl(['apply', '-f', '-'], JSON.stringify(runtimeClass));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lso-demo-'));
  try {
    const [cert, key] = [path.join(dir, 'tls.crt'), path.join(dir, 'tls.key')];
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '7',
      '-subj',
      '/CN=studio-b.demo.example',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    const secrets = [
      ['tls', 'studio-b-tls', `--cert=${cert}`, `--key=${key}`],
      ['generic', 'studio-b-key', `--from-literal=streamKey=${randomBytes(24).toString('base64url')}`],
    ];
    for (const args of secrets) {
      const manifest = await kubectl([
        '-n',
        NAMESPACE,
        'create',
        'secret',
        ...args,
        '--dry-run=client',
        '-o',
        'yaml',
      ]);
      await kubectl(['-n', NAMESPACE, 'apply', '-f', '-'], manifest);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** ffmpeg publishes a test pattern to the CPU stream's ingest Service with the generated key. */
async function publishTestPattern(
  kubectl: (args: string[]) => Promise<string>,
  stopped: () => boolean,
): Promise<Publisher | undefined> {
  const get = async (what: string, jsonpath: string) =>
    kubectl(['-n', NAMESPACE, 'get', what, '-o', `jsonpath=${jsonpath}`]);
  // The ingest accepts a publish once its pod is ready: the LiveStream says Waiting then.
  let state = '';
  for (let i = 0; i < 90 && !stopped() && state !== 'Waiting'; i++) {
    state = await get(`livestream/${CPU_STREAM}`, '{.status.ingest.state}').catch(() => '');
    if (state !== 'Waiting') await sleep(2_000);
  }
  const secretName = await get(`livestream/${CPU_STREAM}`, '{.status.ingest.streamKeySecretRef.name}');
  if (state !== 'Waiting' || !secretName) {
    console.log(
      `The ${CPU_STREAM} ingest did not become ready (state ${state || 'unknown'}); not publishing.`,
    );
    return undefined;
  }
  const key = Buffer.from(await get(`secret/${secretName}`, '{.data.streamKey}'), 'base64').toString('utf8');
  const ingestIP = await get(`service/${CPU_STREAM}-ingest`, '{.spec.clusterIP}');
  const playbackIP = await get(`service/${CPU_STREAM}-playback`, '{.spec.clusterIP}');
  console.log(
    [
      `Publishing a test pattern to ${CPU_STREAM} (rtmp://${ingestIP}:1935/live, the generated stream key).`,
      `Watch it on this machine: http://${playbackIP}/ (hls.js page), http://${playbackIP}/master.m3u8`,
      `OBS: npx tsx operator/main.ts credentials ${CPU_STREAM} -n ${NAMESPACE} prints Server and Stream Key.`,
      '',
    ].join('\n'),
  );
  return keepPublishing([
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-re',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=1280x720:rate=30',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-g',
    '30',
    '-b:v',
    '2000k',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-f',
    'flv',
    `rtmp://${ingestIP}:1935/live/${key}`,
  ]);
}

interface Publisher {
  stop(): Promise<void>;
}

/**
 * Keeps ffmpeg publishing as OBS does with automatic reconnect: a refused connection (a new Service
 * whose kube-proxy rules are not in place yet) or a dropped one is tried again after 2 s.
 */
function keepPublishing(args: string[]): Publisher {
  let current: ChildProcess | undefined;
  let retry: NodeJS.Timeout | undefined;
  const start = () => {
    current = child('ffmpeg', 'ffmpeg', args);
    current.once('exit', () => {
      if (stopping) return;
      console.error('demo: publishing again in 2 s');
      retry = setTimeout(start, 2_000);
    });
  };
  start();
  return {
    stop: async () => {
      clearTimeout(retry);
      await stopChild(current);
    },
  };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const code = (err as { code?: string }).code;
    console.error(`demo: ${err instanceof Error ? err.message : String(err)}${code ? ` [${code}]` : ''}`);
    process.exit(1);
  },
);
