// The runtime against the real API server: the informer resumes, sees deletes made while it was not
// watching, relists after 410 Gone; two operators share one Lease, hand over on SIGTERM, and take
// over once the Lease expires when the leader is killed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Watch } from '@kubernetes/client-node';
import { useCluster, type TestCluster } from '../../../localcluster/src/testing.js';
import { Logger } from '../../../lib/log.js';
import { Cache } from '../../../operator/runtime/cache.js';
import { Informer } from '../../../operator/runtime/informer.js';
import { RuntimeMetrics } from '../../../operator/runtime/metrics.js';
import { KubeClient, type KubeObject } from '../../../operator/runtime/rest.js';
import { kinds } from '../../../operator/runtime/resources.js';
import { until } from '../support/processes.js';
import { installCrds, startOperator, type RunningOperator } from './support.js';

const ns = `rt-${randomBytes(3).toString('hex')}`;
const quiet = new Logger({}, { level: 'error', write: () => {} });

describe('runtime on the real API server', () => {
  let cluster: TestCluster;
  let client: KubeClient;
  const kubectl = async (args: string[]): Promise<string> => {
    const r = await cluster.kubectl(args, { timeoutMs: 30_000 });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    cluster = await useCluster();
    client = new KubeClient(cluster.kubeConfig);
    // The operators below wait for their LiveStream caches: the CRDs must be there even when this
    // file runs alone.
    await installCrds(cluster);
    await kubectl(['create', 'namespace', ns]);
  });

  after(async () => {
    await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
    await cluster?.stop();
  });

  test('an informer sees adds, updates and deletes, and one stopped and resumed sees the deletes it missed', async () => {
    const metrics = new RuntimeMetrics({ processMetrics: false });
    const cache = new Cache<KubeObject>('ConfigMap');
    const deleted: string[] = [];
    cache.on({ delete: (o) => deleted.push(o.metadata.name!) });
    const informer = new Informer<KubeObject>({
      client,
      kind: kinds.ConfigMap,
      cache,
      namespace: ns,
      log: quiet,
      metrics: metrics.informer(),
    });
    informer.start();
    await informer.waitForSync();
    await kubectl(['-n', ns, 'create', 'configmap', 'a', '--from-literal=x=1']);
    await kubectl(['-n', ns, 'create', 'configmap', 'b', '--from-literal=x=1']);
    await until('both cached', () => cache.getIn(ns, 'a') && cache.getIn(ns, 'b'));
    await kubectl(['-n', ns, 'patch', 'configmap', 'a', '-p', '{"data":{"x":"2"}}']);
    await until(
      'the update cached',
      () => (cache.getIn(ns, 'a') as { data?: { x?: string } } | undefined)?.data?.x === '2',
    );
    await informer.stop();

    // While nobody watches: b is deleted. A new informer over the same cache resumes with a list.
    await kubectl(['-n', ns, 'delete', 'configmap', 'b']);
    const again = new Informer<KubeObject>({
      client,
      kind: kinds.ConfigMap,
      cache,
      namespace: ns,
      log: quiet,
      metrics: metrics.informer(),
    });
    again.start();
    await again.waitForSync();
    assert.equal(cache.getIn(ns, 'b'), undefined);
    assert.deepEqual(deleted, ['b']);
    await again.stop();
  });

  test('a watch answered 410 Gone relists (deletes made meanwhile are seen) and carries on watching', async () => {
    // A fresh local API server keeps every event since it started, so it never answers 410 by itself:
    // the first watch here gets the ERROR event a compacted server sends; lists and later watches are real.
    const metrics = new RuntimeMetrics({ processMetrics: false });
    const cache = new Cache<KubeObject>('ConfigMap');
    const real = new Watch(cluster.kubeConfig);
    let calls = 0;
    const watch: Pick<Watch, 'watch'> = {
      watch: async (path, query, callback, done) => {
        if (++calls > 1) return real.watch(path, query, callback, done);
        await kubectl(['-n', ns, 'delete', 'configmap', 'a']); // deleted during the "gap"
        callback(
          'ERROR',
          { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' },
          {},
        );
        done(null);
        return new AbortController();
      },
    };
    const deleted: string[] = [];
    cache.on({ delete: (o) => deleted.push(o.metadata.name!) });
    const informer = new Informer<KubeObject>({
      client,
      kind: kinds.ConfigMap,
      cache,
      namespace: ns,
      log: quiet,
      metrics: metrics.informer(),
      watch,
    });
    informer.start();
    await until(
      'a relist after 410',
      async () =>
        /livestream_operator_informer_lists_total\{kind="ConfigMap",reason="expired"\} 1/.test(
          await metrics.registry.metrics(),
        ),
      30_000,
    );
    await until('the delete missed during the gap is seen', () => deleted.includes('a'), 10_000);
    await kubectl(['-n', ns, 'create', 'configmap', 'after-gone', '--from-literal=x=1']);
    await until('watching again', () => cache.getIn(ns, 'after-gone'), 30_000);
    await informer.stop();
  });

  test('a silent watch is restarted by the watchdog', async () => {
    const metrics = new RuntimeMetrics({ processMetrics: false });
    const cache = new Cache<KubeObject>('Secret');
    // A namespace nobody writes in and a short stall limit: the watch delivers nothing, not even
    // a bookmark, within the limit.
    const informer = new Informer<KubeObject>({
      client,
      kind: kinds.Secret,
      cache,
      namespace: ns,
      labelSelector: 'nothing=matches',
      log: quiet,
      metrics: metrics.informer(),
      stallMs: 500,
      watchTimeoutSeconds: 60,
    });
    informer.start();
    await until(
      'a stalled watch restarted',
      async () =>
        /livestream_operator_informer_watch_ends_total\{kind="Secret",reason="stalled"\} [1-9]/.test(
          await metrics.registry.metrics(),
        ),
      10_000,
    );
    await informer.stop();
  });

  test('two operators: one leads, the other takes over at once when the leader gets SIGTERM', async () => {
    const lease = 'lso-test';
    const args = [
      `--watch-namespaces=${ns}`,
      '--leader-elect',
      `--leader-election-namespace=${ns}`,
      `--leader-election-id=${lease}`,
      '--lease-duration=15s',
      '--renew-deadline=10s',
      '--retry-period=500ms',
    ];
    const ops: RunningOperator[] = [];
    try {
      ops.push(await startOperator(cluster, 'op-a', args, { POD_NAME: 'op-a' }));
      const holder = async () =>
        (await kubectl(['-n', ns, 'get', 'lease', lease, '-o', 'jsonpath={.spec.holderIdentity}'])).trim();
      await until('op-a leads', async () => (await holder()) === 'op-a', 20_000);
      ops.push(await startOperator(cluster, 'op-b', args, { POD_NAME: 'op-b' }));
      assert.match(
        await ops[1]!.metrics(),
        /leader_election_master_status\{name="lso-test"\} 0/,
        'the second stands by (and is ready)',
      );
      assert.match(await ops[0]!.metrics(), /leader_election_master_status\{name="lso-test"\} 1/);
      const stoppedAt = Date.now();
      await ops[0]!.proc.stop();
      await until('op-b leads', async () => (await holder()) === 'op-b', 10_000, 100);
      const handOverMs = Date.now() - stoppedAt;
      assert.ok(
        handOverMs < 5_000,
        `hand-over took ${handOverMs} ms, well under the 15 s lease (the leader released it)`,
      );
      assert.ok(ops[0]!.proc.output.some((l) => l.includes('released the leader lease')));
      await until(
        'op-b reports leading',
        async () => /leader_election_master_status\{name="lso-test"\} 1/.test(await ops[1]!.metrics()),
        5_000,
      );
    } finally {
      for (const o of ops) await o.proc.stop();
    }
  });
  test('two operators: when the leader is killed (SIGKILL, no hand-over) the other takes over once the Lease expires', async (t) => {
    const lease = 'lso-kill-test';
    const args = [
      `--watch-namespaces=${ns}`,
      '--leader-elect',
      `--leader-election-namespace=${ns}`,
      `--leader-election-id=${lease}`,
      '--lease-duration=4s',
      '--renew-deadline=3s',
      '--retry-period=500ms',
    ];
    const ops: RunningOperator[] = [];
    try {
      const holder = async () =>
        (await kubectl(['-n', ns, 'get', 'lease', lease, '-o', 'jsonpath={.spec.holderIdentity}'])).trim();
      ops.push(await startOperator(cluster, 'op-x', args, { POD_NAME: 'op-x' }));
      await until('op-x leads', async () => (await holder()) === 'op-x', 20_000);
      ops.push(await startOperator(cluster, 'op-y', args, { POD_NAME: 'op-y' }));
      const killedAt = Date.now();
      process.kill(ops[0]!.proc.child.pid!, 'SIGKILL');
      await until('op-y leads', async () => (await holder()) === 'op-y', 20_000, 100);
      const takeOverMs = Date.now() - killedAt;
      t.diagnostic(`took over ${takeOverMs} ms after the leader was killed`);
      // Not before the Lease the dead leader held ran out: nobody released it.
      assert.ok(takeOverMs >= 2_000, `took over after ${takeOverMs} ms, before the 4 s Lease could expire`);
      await until(
        'op-y reports leading',
        async () => /leader_election_master_status\{name="lso-kill-test"\} 1/.test(await ops[1]!.metrics()),
        5_000,
      );
    } finally {
      for (const o of ops) await o.proc.stop();
    }
  });
});
