// The RTMP and RTMPS listeners: accept within the connection limit, hand each socket to a Conn,
// run the timeout sweep, and on close stop accepting, end every session and wait for the sockets.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { ErrorCodes, LivestreamError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { Conn, type ConnLimits, type ConnObserver, type Credentials } from './conn.js';
import type { Stream, Transport } from './stream.js';

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

export interface RtmpServerOptions extends ConnLimits {
  /** Listen address; "" means every interface. */
  bind: string;
  /** 0 turns the plain RTMP listener off. */
  rtmpPort: number;
  rtmpsPort: number;
  /** RTMPS runs only with a certificate. */
  tls: TlsFiles | undefined;
  maxConnections: number;
  /** How often timeouts are checked. */
  sweepIntervalMs?: number;
}

export interface ServerObserver extends ConnObserver {
  opened(transport: Transport): void;
  closed(transport: Transport): void;
}

export interface RtmpServerDeps {
  stream: Stream;
  credentials: Credentials;
  observer: ServerObserver;
  log: Logger;
  now: () => number;
}

export interface ListenAddresses {
  rtmp?: AddressInfo;
  rtmps?: AddressInfo;
}

export class RtmpServer {
  private readonly servers: { transport: Transport; server: net.Server; port: number }[] = [];
  private readonly conns = new Set<Conn>();
  private readonly sockets = new Set<net.Socket>();
  private tlsServer: tls.Server | undefined;
  private sweep: NodeJS.Timeout | undefined;
  private draining = false;
  private listening = false;

  constructor(
    private readonly options: RtmpServerOptions,
    private readonly deps: RtmpServerDeps,
  ) {
    if (options.rtmpPort > 0) {
      const server = net.createServer((socket) => this.onSocket(socket, 'rtmp'));
      this.servers.push({ transport: 'rtmp', server, port: options.rtmpPort });
    }
    if (options.tls) {
      try {
        this.tlsServer = tls.createServer(
          { cert: options.tls.cert, key: options.tls.key, handshakeTimeout: options.handshakeTimeoutMs },
          (socket) => this.onSocket(socket, 'rtmps'),
        );
      } catch (err) {
        throw new LivestreamError(
          ErrorCodes.INGEST_TLS_INVALID,
          `the RTMPS certificate or key cannot be used: ${(err as Error).message}`,
          { cause: err },
        );
      }
      // Count and limit raw TCP connections before the TLS handshake, like plain RTMP.
      this.tlsServer.on('connection', (socket: net.Socket) => this.admit(socket, 'rtmps'));
      this.tlsServer.on('tlsClientError', (err) => deps.log.debug('TLS handshake failed', { err }));
      this.servers.push({ transport: 'rtmps', server: this.tlsServer, port: options.rtmpsPort });
    }
  }

  get isListening(): boolean {
    return this.listening && !this.draining;
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  async listen(): Promise<ListenAddresses> {
    const addresses: ListenAddresses = {};
    for (const { transport, server, port } of this.servers) {
      await new Promise<void>((resolve, reject) => {
        const fail = (err: NodeJS.ErrnoException) =>
          reject(
            new LivestreamError(
              ErrorCodes.INGEST_LISTEN_FAILED,
              `cannot listen for ${transport} on ${this.options.bind || '*'}:${port}: ${err.code ?? err.message}`,
              { cause: err },
            ),
          );
        server.once('error', fail);
        server.listen(port, this.options.bind || undefined, () => {
          server.off('error', fail);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      addresses[transport] = address;
      this.deps.log.info(`${transport} listening`, { address: address.address, port: address.port });
    }
    this.sweep = setInterval(() => this.tick(), this.options.sweepIntervalMs ?? 500);
    this.sweep.unref();
    this.listening = true;
    return addresses;
  }

  /** Swaps the RTMPS certificate (cert-manager renewals) without dropping connections. */
  setTls(files: TlsFiles): void {
    try {
      this.tlsServer?.setSecureContext({ cert: files.cert, key: files.key });
    } catch (err) {
      throw new LivestreamError(
        ErrorCodes.INGEST_TLS_INVALID,
        `the new RTMPS certificate or key cannot be used: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  /** Ends the publisher whose key was replaced (a leaked key must stop working at once). */
  endPublisher(reason: 'key_rotated'): void {
    for (const conn of this.conns) if (conn.role === 'publisher') conn.end(reason);
  }

  endSubscribers(reason: 'token_rotated'): void {
    for (const conn of this.conns) if (conn.role === 'subscriber') conn.end(reason);
  }

  /** Stops accepting, ends every session, and waits (at most `timeoutMs`) for the sockets to close. */
  async close(timeoutMs: number): Promise<void> {
    this.draining = true;
    const closed = this.servers.map(
      ({ server }) => new Promise<void>((resolve) => server.close(() => resolve())),
    );
    this.deps.stream.endAll('shutdown');
    for (const conn of this.conns) if (conn.role === 'pending') conn.reject('shutting_down');
    const deadline = Date.now() + timeoutMs;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const socket of this.sockets) socket.destroy();
    clearInterval(this.sweep);
    await Promise.all(closed);
    this.listening = false;
  }

  private admit(socket: net.Socket, transport: Transport): boolean {
    if (this.draining || this.sockets.size >= this.options.maxConnections) {
      this.deps.observer.rejected(this.draining ? 'shutting_down' : 'connection_limit');
      this.deps.log.info('connection refused', {
        remoteAddress: `${socket.remoteAddress}:${socket.remotePort}`,
        reason: this.draining ? 'shutting_down' : 'connection_limit',
      });
      socket.destroy();
      return false;
    }
    this.sockets.add(socket);
    this.deps.observer.opened(transport);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.deps.observer.closed(transport);
    });
    return true;
  }

  private onSocket(socket: net.Socket, transport: Transport): void {
    // Plain sockets are admitted here; TLS sockets were admitted on their raw 'connection'.
    if (transport === 'rtmp' && !this.admit(socket, transport)) return;
    if (socket.destroyed) return;
    const conn = new Conn({
      id: randomBytes(6).toString('hex'),
      socket,
      transport,
      stream: this.deps.stream,
      credentials: this.deps.credentials,
      limits: this.options,
      observer: this.deps.observer,
      log: this.deps.log,
      now: this.deps.now,
      draining: () => this.draining,
      onClosed: (c) => this.conns.delete(c),
    });
    this.conns.add(conn);
  }

  private tick(): void {
    const now = this.deps.now();
    for (const conn of this.conns) conn.tick(now);
  }
}
