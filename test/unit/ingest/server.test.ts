import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { Logger } from '../../../lib/log.js';
import { RtmpServer, type RtmpServerOptions } from '../../../ingest/rtmp/server.js';
import { Stream } from '../../../ingest/rtmp/stream.js';
import { IngestMetrics } from '../../../ingest/metrics.js';

function server(overrides: Partial<RtmpServerOptions>) {
  const stream = new Stream(
    { takeover: 'stale', takeoverAfterMs: 2000, maxSubscribers: 1, gopCacheBytes: 1 << 20, now: Date.now },
    { published: () => undefined, unpublished: () => undefined, media: () => undefined },
  );
  return new RtmpServer(
    {
      bind: '127.0.0.1',
      rtmpPort: 0,
      rtmpsPort: 0,
      tls: undefined,
      maxConnections: 4,
      handshakeTimeoutMs: 1000,
      idleTimeoutMs: 1000,
      subscriberQueueBytes: 1 << 20,
      slowSubscriber: 'drop',
      ...overrides,
    },
    {
      stream,
      credentials: { streamKey: () => undefined, playToken: () => undefined },
      observer: new IngestMetrics(() => stream),
      log: new Logger({}, { write: () => undefined }),
      now: Date.now,
    },
  );
}

describe('RTMP server start-up errors', () => {
  test('a port in use is a coded error naming the listener and the address', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      await assert.rejects(server({ rtmpPort: port }).listen(), {
        code: 'LSO_INGEST_LISTEN_FAILED',
        message: `cannot listen for rtmp on 127.0.0.1:${port}: EADDRINUSE`,
      });
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  test('a certificate that is not PEM is a coded error', () => {
    assert.throws(
      () => server({ tls: { cert: Buffer.from('not a certificate'), key: Buffer.from('nor a key') } }),
      {
        code: 'LSO_INGEST_TLS_INVALID',
        message: /^the RTMPS certificate or key cannot be used: /,
      },
    );
  });
});
