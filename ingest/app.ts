// Assembles the ingest from its parts (credentials, stream, RTMP server, admin HTTP, metrics) and
// owns the start and stop order. main.ts adds flags and signals; tests can start it in-process.
import type { AddressInfo } from 'node:net';
import { ErrorCodes, LivestreamError } from '../lib/errors.js';
import { HttpServer, sendJson } from '../lib/http.js';
import type { Logger } from '../lib/log.js';
import { SecretFile } from './auth/secret-file.js';
import { readTlsFiles, type IngestConfig } from './config.js';
import { IngestMetrics } from './metrics.js';
import { RtmpServer, type ListenAddresses } from './rtmp/server.js';
import { Stream } from './rtmp/stream.js';
import { buildStatus } from './status.js';
import { tameNmsLogger } from './rtmp/nms.js';

export interface RunningIngest {
  rtmp: ListenAddresses;
  admin: AddressInfo;
  /** Stops accepting, ends every session, and closes the admin server last. */
  stop(): Promise<void>;
}

export async function startIngest(
  config: IngestConfig,
  log: Logger,
  now: () => number = Date.now,
): Promise<RunningIngest> {
  tameNmsLogger((message, level) => log.debug('node-media-server', { nmsLevel: level, message }));

  const secretLog = log.child({ component: 'secrets' });
  const streamKey = new SecretFile({
    name: 'stream key',
    path: config.streamKeyFile,
    pollIntervalMs: config.secretPollIntervalMs,
  });
  const playToken = new SecretFile({
    name: 'play token',
    path: config.playTokenFile,
    pollIntervalMs: config.secretPollIntervalMs,
  });

  // Metrics read the stream when scraped; the stream reports its events to the metrics.
  const metrics = new IngestMetrics(() => stream);
  const stream = new Stream(
    {
      takeover: config.takeover,
      takeoverAfterMs: config.takeoverAfterMs,
      maxSubscribers: config.maxSubscribers,
      gopCacheBytes: config.subscriberQueueBytes,
      now,
    },
    {
      published: (publisher, tookOver) => {
        metrics.published(tookOver);
        if (tookOver)
          log.info('publisher taken over', { conn: publisher.id, remoteAddress: publisher.remoteAddress });
      },
      unpublished: () => undefined,
      media: (track, bytes, frame, keyframe) => metrics.media(track, bytes, frame, keyframe),
    },
  );

  const tlsFiles = config.rtmps ? readTlsFiles(config.rtmps) : undefined;
  const server = new RtmpServer(
    {
      bind: config.bind,
      rtmpPort: config.rtmpPort,
      rtmpsPort: config.rtmps?.port ?? 0,
      tls: tlsFiles,
      maxConnections: config.maxConnections,
      handshakeTimeoutMs: config.handshakeTimeoutMs,
      idleTimeoutMs: config.idleTimeoutMs,
      subscriberQueueBytes: config.subscriberQueueBytes,
      slowSubscriber: config.slowSubscriber,
    },
    {
      stream,
      credentials: { streamKey: () => streamKey.value, playToken: () => playToken.value },
      observer: metrics,
      log: log.child({ component: 'rtmp' }),
      now,
    },
  );

  // Secrets: scrub them from every log line; a rotation ends the sessions that used the old value.
  streamKey.onChange(({ previous, current }) => {
    log.redactValue(current);
    if (previous === undefined) return secretLog.info('stream key loaded', { file: config.streamKeyFile });
    metrics.secretReloaded('stream_key', 'changed');
    secretLog.info('stream key changed; ending the current publish', { file: config.streamKeyFile });
    server.endPublisher('key_rotated');
  });
  playToken.onChange(({ previous, current }) => {
    log.redactValue(current);
    if (previous === undefined) return secretLog.info('play token loaded', { file: config.playTokenFile });
    metrics.secretReloaded('play_token', 'changed');
    secretLog.info('play token changed; ending the current subscriptions', { file: config.playTokenFile });
    server.endSubscribers('token_rotated');
  });
  streamKey.onError((problem) => {
    metrics.secretReloaded('stream_key', 'error');
    secretLog.error(problem, { keptPrevious: streamKey.value !== undefined });
  });
  playToken.onError((problem) => {
    metrics.secretReloaded('play_token', 'error');
    secretLog.error(problem, { keptPrevious: playToken.value !== undefined });
  });
  await streamKey.start();
  await playToken.start();

  const certificate = config.rtmps
    ? watchCertificate(config.rtmps, config.secretPollIntervalMs, server, metrics, secretLog)
    : undefined;

  const readiness = (): string | undefined => {
    if (!server.isListening) return 'the RTMP listeners are not accepting connections';
    if (streamKey.value === undefined) return streamKey.problem;
    return undefined;
  };

  const http = new HttpServer({
    host: config.adminBind,
    port: config.adminPort,
    log: log.child({ component: 'admin' }),
  })
    .probes(metrics.registry, [readiness])
    .route('GET', '/status', (_req, res) => sendJson(res, 200, buildStatus(stream, readiness(), now())));

  const admin = await http.listen().catch((err: NodeJS.ErrnoException) => {
    throw new LivestreamError(
      ErrorCodes.INGEST_LISTEN_FAILED,
      `cannot listen for the admin server on ${config.adminBind || '*'}:${config.adminPort}: ${err.code ?? err.message}`,
      { cause: err },
    );
  });
  const rtmp = await server.listen();
  log.info('ingest ready', {
    streamKeyLoaded: streamKey.value !== undefined,
    playTokenLoaded: playToken.value !== undefined,
  });

  return {
    rtmp,
    admin,
    async stop() {
      streamKey.stop();
      playToken.stop();
      certificate?.stop();
      await server.close(config.shutdownTimeoutMs);
      await http.close();
    },
  };
}

/** Re-reads the RTMPS certificate and key on the secret poll interval and swaps them in. */
function watchCertificate(
  files: { certFile: string; keyFile: string },
  intervalMs: number,
  server: RtmpServer,
  metrics: IngestMetrics,
  log: Logger,
): { stop(): void } {
  let last = readTlsFiles(files);
  const timer = setInterval(() => {
    try {
      const next = readTlsFiles(files);
      if (next.cert.equals(last.cert) && next.key.equals(last.key)) return;
      server.setTls(next);
      last = next;
      metrics.secretReloaded('tls_certificate', 'changed');
      log.info('RTMPS certificate reloaded', { file: files.certFile });
    } catch (err) {
      metrics.secretReloaded('tls_certificate', 'error');
      log.error('RTMPS certificate reload failed; keeping the previous one', { err });
    }
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
