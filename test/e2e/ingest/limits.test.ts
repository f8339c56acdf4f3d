// Connection limit, handshake timeout, subscriber limit, and input that crashes or bloats a bare
// node-media-server: each turned away with a reason while the ingest keeps serving.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import * as f from '../../unit/ingest/fixtures.js';
import { BareNms, ffmpegPublish, ffmpegPull, Ingest, sleep, stopAll, waitFor } from './harness.js';

/** A raw TCP client that records what it received and when the server closed it. */
function rawClient(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  const state = { received: 0, closedAt: undefined as number | undefined, openedAt: Date.now() };
  socket.on('data', (d) => (state.received += d.length));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) =>
    socket.on('close', () => {
      state.closedAt = Date.now();
      resolve();
    }),
  );
  return { socket, state, closed };
}

/** Completes a simple RTMP handshake, then sends `after`. */
async function rtmpClient(port: number, after: Buffer) {
  const client = rawClient(port);
  await new Promise((resolve) => client.socket.once('connect', resolve));
  client.socket.write(Buffer.concat([Buffer.from([3]), Buffer.alloc(1536)]));
  await waitFor('S0S1S2', () => (client.state.received >= 3073 ? true : undefined), 5000, 10);
  client.socket.write(Buffer.concat([Buffer.alloc(1536), after]));
  return client;
}

describe('limits', () => {
  let ingest: Ingest;
  before(async () => {
    ingest = await new Ingest({
      flags: ['--max-connections', '4', '--handshake-timeout', '1s', '--max-subscribers', '1'],
    }).start();
  });
  after(async () => {
    await stopAll();
    await ingest?.stop();
  });

  test('connections beyond the limit are closed on accept; idle ones after the handshake timeout', async () => {
    const idle = [0, 1, 2, 3].map(() => rawClient(ingest.rtmpPort));
    await waitFor('4 open connections', async () =>
      (await ingest.metrics()).get('livestream_ingest_open_connections', { transport: 'rtmp' }) === 4
        ? true
        : undefined,
    );
    const extra = rawClient(ingest.rtmpPort);
    await extra.closed;
    assert.ok(extra.state.closedAt! - extra.state.openedAt < 1000);
    assert.equal(extra.state.received, 0);
    await Promise.all(idle.map((c) => c.closed));
    for (const c of idle) {
      const lived = c.state.closedAt! - c.state.openedAt;
      assert.ok(lived >= 900 && lived < 3000, `closed after ${lived} ms`);
    }
    const metrics = await ingest.metrics();
    assert.equal(
      metrics.get('livestream_ingest_connections_rejected_total', { reason: 'connection_limit' }),
      1,
    );
    assert.equal(
      metrics.get('livestream_ingest_connections_rejected_total', { reason: 'handshake_timeout' }),
      4,
    );
  });

  test('a connect without tcUrl is refused and the ingest keeps serving', async () => {
    const client = await rtmpClient(
      ingest.rtmpPort,
      Buffer.concat([f.setChunkSize(), f.connect('live', null)]),
    );
    await client.closed;
    assert.equal((await fetch(`${ingest.admin}/healthz`)).status, 200);
    assert.equal(
      (await ingest.metrics()).get('livestream_ingest_connections_rejected_total', {
        reason: 'protocol_error',
      }),
      1,
    );
  });

  test('a large message before any publish is refused before it is buffered', async () => {
    // Announce a 10 MB message on a fresh chunk stream: node-media-server would allocate it up front.
    const header = Buffer.from([0x08, 0, 0, 0, 0x98, 0x96, 0x80, 9, 1, 0, 0, 0]);
    const client = await rtmpClient(
      ingest.rtmpPort,
      Buffer.concat([f.setChunkSize(), f.connect('live'), header, Buffer.alloc(1000)]),
    );
    await client.closed;
    assert.equal(
      (await ingest.metrics()).get('livestream_ingest_connections_rejected_total', {
        reason: 'protocol_error',
      }),
      2,
    );
  });

  test('a play with nobody publishing is refused at once', async () => {
    const puller = ffmpegPull(ingest.pullUrl(), { seconds: 3 });
    assert.notEqual((await puller.exit(10_000)).code, 0);
    assert.match(puller.stderr, /Nobody is publishing the stream/);
  });

  test('subscribers beyond --max-subscribers are refused', async () => {
    const encoder = ffmpegPublish(ingest.publishUrl(), { seconds: 30 });
    await waitFor('publishing', async () => ((await ingest.status()).publishing ? true : undefined));
    const first = ffmpegPull(ingest.pullUrl());
    await waitFor('the first subscriber', async () =>
      (await ingest.status()).subscribers === 1 ? true : undefined,
    );
    const second = ffmpegPull(ingest.pullUrl(), { seconds: 3 });
    assert.notEqual((await second.exit(10_000)).code, 0);
    assert.match(second.stderr, /Too many subscribers/);
    assert.equal(
      (await ingest.metrics()).get('livestream_ingest_connections_rejected_total', {
        reason: 'subscriber_limit',
      }),
      1,
    );
    await first.stop();
    await encoder.stop();
  });
});

describe('control: bare node-media-server 4.4.3', () => {
  let nms: BareNms;
  before(async () => {
    nms = await new BareNms().start();
  });
  after(async () => {
    await stopAll();
    await nms?.stop();
  });

  test('a connect without tcUrl kills the whole process', async () => {
    const client = await rtmpClient(nms.port, Buffer.concat([f.setChunkSize(), f.connect('live', null)]));
    await client.closed;
    const { code } = await nms.proc.exit(5000);
    assert.notEqual(code, 0);
    assert.match(nms.proc.stderr, /ERR_INVALID_URL/);
    await sleep(10);
  });
});
