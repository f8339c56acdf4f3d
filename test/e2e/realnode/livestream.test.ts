// Issue 8, end to end on a real node: the project's own images run as the pods the operator makes.
//   example LiveStream (CPU) -> ingest and transcoder pods Running on the real node (containerd,
//   kubelet, kube-proxy, CoreDNS) -> a real ffmpeg publishes to the ingest Service's ClusterIP with the
//   generated stream key -> the transcoder pod pulls it through cluster DNS -> headless Chromium plays
//   the playback Service's preview page (hls.js) -> the LiveStream says Live, with figures ->
//   deleting it removes its pods.
// The cluster has only GPU pools besides the real node (localcluster/pools/gpu-only.yaml), so the CPU
// pods can only go there. The operator runs on this machine, as in docs/real-node.md.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { useCluster, type TestCluster } from '../../../localcluster/src/testing.js';
import {
  reapAbandonedRealNode,
  startRealNode,
  type RealNode,
} from '../../../localcluster/src/realnode/index.js';
import type { LiveStream } from '../../../operator/api/v1alpha1/types.js';
import { installCrds } from '../../integration/operator/support.js';
import { CHROMIUM_FLAGS } from '../transcoder/harness.js';
import { Proc, freePort, until } from '../../integration/support/processes.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const isRoot = process.getuid?.() === 0 && process.platform === 'linux';
const ns = `e2e-${randomBytes(3).toString('hex')}`;
const STREAM = 'town-hall';

interface PodJson {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { nodeName?: string };
  status: { phase: string; conditions?: { type: string; status: string }[] };
}
interface ServiceJson {
  spec: { clusterIP: string; ports: { name?: string; port: number }[] };
}

describe(
  'a LiveStream on a real node',
  { skip: !isRoot && 'needs root on Linux', timeout: 30 * 60_000 },
  () => {
    let cluster: TestCluster;
    let node: RealNode;
    let operator: Proc | undefined;
    let encoder: Proc | undefined;
    let browser: Browser | undefined;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lso-e2e-realnode-'));

    const kubectl = async (args: string[], input?: string): Promise<string> => {
      const r = await cluster.kubectl(['-n', ns, ...args], { input, timeoutMs: 120_000 });
      assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const getJson = async <T>(args: string[]): Promise<T> =>
      JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
    const pods = async () =>
      (await getJson<{ items: PodJson[] }>(['get', 'pods', '-l', `livestream-operator.io/stream=${STREAM}`]))
        .items;
    const liveStream = () => getJson<LiveStream>(['get', 'livestream', STREAM]);
    const condition = (ls: LiveStream, type: string) => ls.status?.conditions?.find((c) => c.type === type);
    const serviceAddress = async (name: string): Promise<{ ip: string; port: number }> => {
      const svc = await getJson<ServiceJson>(['get', 'service', name]);
      return { ip: svc.spec.clusterIP, port: svc.spec.ports[0]!.port };
    };

    before(async () => {
      cluster = await useCluster({ pools: 'gpu-only' });
      await reapAbandonedRealNode((line) => process.stderr.write(`realnode: ${line}\n`));
      node = await startRealNode({
        kubeconfigPath: cluster.kubeconfigPath,
        images: ['ingest', 'transcoder'],
        taint: false,
        waitForMachineMs: 15 * 60_000,
        progress: (line) => process.stderr.write(`realnode: ${line}\n`),
      });
      node.stopWhenProcessEnds();
      await installCrds(cluster);
      await cluster.kubectl(['create', 'namespace', ns]);

      const httpPort = await freePort();
      operator = new Proc('operator', process.execPath, [
        '--import',
        'tsx',
        path.join(repoRoot, 'operator/main.ts'),
        `--kubeconfig=${cluster.kubeconfigPath}`,
        `--watch-namespaces=${ns}`,
        '--http-host=127.0.0.1',
        `--http-port=${httpPort}`,
        '--ingest-image=localhost/livestream-ingest:dev',
        '--transcoder-image=localhost/livestream-transcoder:dev',
        '--image-pull-policy=Never',
      ]);
      await until(
        'the operator to be ready',
        async () => {
          if (!operator!.running) throw new Error(operator!.tail());
          return (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).ok;
        },
        60_000,
      );
    });

    after(async () => {
      await browser?.close();
      await encoder?.stop();
      await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
      const logs = operator?.output.join('\n') ?? '';
      await operator?.stop();
      await node?.stop();
      await cluster?.stop();
      rmSync(dir, { recursive: true, force: true });
      if (logs && process.env.LIVESTREAM_E2E_LOGS) process.stderr.write(logs);
    });

    test('the example LiveStream runs its ingest and transcoder pods on the real node', async () => {
      for (const file of ['transcodeprofile-low-latency.yaml', 'livestream-cpu-only.yaml'])
        await kubectl(['apply', '-f', path.join(repoRoot, 'examples', file)]);
      const running = await until(
        'ingest and transcoder pods Ready',
        async () => {
          const list = await pods();
          const ready = list.filter((p) =>
            p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
          );
          return ready.length === 2 ? ready : undefined;
        },
        5 * 60_000,
        1_000,
      );
      for (const pod of running)
        assert.equal(pod.spec.nodeName, node.name, `${pod.metadata.name} runs on the real node`);
      const ls = await liveStream();
      assert.equal(condition(ls, 'IngestReady')?.status, 'True');
      assert.equal(ls.status?.placement?.accelerator, 'cpu');
      assert.equal(ls.status?.placement?.node, node.name);
    });

    test('ffmpeg publishes to the ingest Service with the generated stream key', async () => {
      const ls = await liveStream();
      const ref = ls.status?.ingest?.streamKeySecretRef;
      assert.ok(ref, 'status names the stream key Secret');
      const secret = await getJson<{ data: Record<string, string> }>(['get', 'secret', ref.name]);
      const key = Buffer.from(secret.data[ref.key]!, 'base64').toString('utf8');
      assert.ok(!JSON.stringify(ls.status).includes(key), 'the key is not in the status');
      const ingest = await serviceAddress(`${STREAM}-ingest`);
      // An encoder's clock in the picture, 1-second keyframes to match the profile, looped forever.
      encoder = new Proc('encoder', 'nice', [
        '-n',
        '5',
        'ffmpeg',
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-re',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=640x360:rate=30',
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
        '800k',
        '-c:a',
        'aac',
        '-b:a',
        '96k',
        '-f',
        'flv',
        `rtmp://${ingest.ip}:${ingest.port}/live/${key}`,
      ]);
      await until(
        'the LiveStream to show the ingest Publishing',
        async () => {
          if (!encoder!.running) throw new Error(encoder!.tail());
          return (await liveStream()).status?.ingest?.state === 'Publishing';
        },
        60_000,
        1_000,
      );
    });

    test('headless Chromium plays the playback Service with hls.js', async () => {
      const playback = await serviceAddress(`${STREAM}-playback`);
      const origin = `http://${playback.ip}:${playback.port}`;
      await until(
        'the master playlist',
        async () => (await fetch(`${origin}/master.m3u8`, { signal: AbortSignal.timeout(3_000) })).ok,
        120_000,
        1_000,
      );
      browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: CHROMIUM_FLAGS,
      });
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(`${origin}/`);
      const readTime = async () =>
        Number(await page.evaluate("document.querySelector('video')?.currentTime ?? 0"));
      const start = await until(
        'playback to start',
        async () => ((await readTime()) > 0 ? readTime() : undefined),
        60_000,
        500,
      );
      const advanced = await until(
        'playback to advance 5 s',
        async () => {
          const now = await readTime();
          return now - start >= 5 ? now : undefined;
        },
        60_000,
        500,
      );
      assert.ok(advanced - start >= 5);
      assert.deepEqual(errors, [], 'no page errors');
    });

    test('the LiveStream is Live with figures from the data plane', async () => {
      const ls = await until(
        'Live=True with figures',
        async () => {
          const current = await liveStream();
          const live = current.status?.live;
          return condition(current, 'Live')?.status === 'True' && live?.bitrateKbps && live.resolution
            ? current
            : undefined;
        },
        90_000,
        2_000,
      );
      assert.equal(condition(ls, 'Ready')?.status, 'True');
      assert.equal(condition(ls, 'TranscoderReady')?.status, 'True');
      assert.equal(ls.status?.live?.resolution, '640x360');
      assert.ok(
        (ls.status?.live?.bitrateKbps ?? 0) > 300,
        `source bitrate ${ls.status?.live?.bitrateKbps} kbps`,
      );
      assert.ok(ls.status?.playback?.hlsUrl?.endsWith('/master.m3u8'));
    });

    test('no stream key in the operator log or the events', async () => {
      const ls = await liveStream();
      const ref = ls.status!.ingest!.streamKeySecretRef!;
      const secret = await getJson<{ data: Record<string, string> }>(['get', 'secret', ref.name]);
      const key = Buffer.from(secret.data[ref.key]!, 'base64').toString('utf8');
      const events = await kubectl(['get', 'events', '-o', 'json']);
      assert.ok(!events.includes(key), 'events');
      assert.ok(!operator!.output.join('\n').includes(key), 'operator log');
    });

    test('deleting the LiveStream removes its pods', async () => {
      await encoder?.stop();
      await kubectl(['delete', 'livestream', STREAM, '--wait=true']);
      await until('the pods to be gone', async () => (await pods()).length === 0, 120_000, 1_000);
      const leftovers = await kubectl([
        'get',
        'deployments,services,configmaps',
        '-l',
        `livestream-operator.io/stream=${STREAM}`,
        '-o',
        'name',
      ]);
      assert.equal(leftovers.trim(), '');
    });
  },
);
