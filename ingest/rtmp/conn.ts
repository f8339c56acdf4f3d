// One RTMP(S) connection: reads bytes into the protocol, asks the stream and the credentials whether
// its publish or play may go ahead, then either feeds the stream (publisher) or writes to its socket
// within a bounded queue (subscriber). The server's sweep calls tick() for the timeouts.
import type { Socket } from 'node:net';
import type { Logger } from '../../lib/log.js';
import { parseStreamRequest, playRefusal, publishRefusal, STREAM_PATH, type Refusal } from '../auth/keys.js';
import { ProtocolError, RtmpProtocol, type RtmpCommand } from './protocol.js';
import type { EndReason, Publisher, Stream, Subscriber, Transport } from './stream.js';
import { decideWrite, type MessageKind, type SlowSubscriberPolicy, type WriteState } from './write-policy.js';

/** Why a connection was turned away before it published or played (the metric's `reason` label). */
export type RejectReason =
  | Refusal
  | 'connection_limit'
  | 'handshake_timeout'
  | 'protocol_error'
  | 'publisher_active'
  | 'no_publisher'
  | 'subscriber_limit'
  | 'shutting_down';

export interface ConnLimits {
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  subscriberQueueBytes: number;
  slowSubscriber: SlowSubscriberPolicy;
}

export interface Credentials {
  streamKey(): string | undefined;
  playToken(): string | undefined;
}

/** What a connection reports (metrics and logs hang off this). */
export interface ConnObserver {
  received(transport: Transport, bytes: number): void;
  sent(transport: Transport, bytes: number): void;
  rejected(reason: RejectReason): void;
  ended(role: 'publisher' | 'subscriber', reason: EndReason): void;
  dropped(frames: number): void;
}

export interface ConnDeps {
  id: string;
  socket: Socket;
  transport: Transport;
  stream: Stream;
  credentials: Credentials;
  limits: ConnLimits;
  observer: ConnObserver;
  log: Logger;
  now: () => number;
  /** True once the server stopped accepting (new publish/play requests are refused). */
  draining: () => boolean;
  onClosed: (conn: Conn) => void;
}

// RTMP status codes clients understand (ffmpeg prints the description and exits).
const refusalStatus: Record<RejectReason, { code: string; description: string }> = {
  invalid_path: {
    code: 'NetStream.Publish.BadName',
    description: `Unknown stream; publish to /live/<stream key>`,
  },
  missing_key: { code: 'NetStream.Publish.Rejected', description: 'A stream key is required' },
  wrong_key: { code: 'NetStream.Publish.Rejected', description: 'The stream key was not accepted' },
  key_unavailable: {
    code: 'NetStream.Publish.Rejected',
    description: 'The ingest has no stream key configured yet',
  },
  missing_token: { code: 'NetStream.Play.Failed', description: 'A play token is required' },
  wrong_token: { code: 'NetStream.Play.Failed', description: 'The play token was not accepted' },
  token_unavailable: {
    code: 'NetStream.Play.Failed',
    description: 'The ingest has no play token configured yet',
  },
  publisher_active: {
    code: 'NetStream.Publish.BadName',
    description: 'The stream is already being published',
  },
  no_publisher: { code: 'NetStream.Play.StreamNotFound', description: 'Nobody is publishing the stream' },
  subscriber_limit: { code: 'NetStream.Play.Failed', description: 'Too many subscribers' },
  shutting_down: { code: 'NetConnection.Connect.Rejected', description: 'The ingest is shutting down' },
  connection_limit: { code: 'NetConnection.Connect.Rejected', description: 'Too many connections' },
  handshake_timeout: { code: 'NetConnection.Connect.Rejected', description: 'Too slow' },
  protocol_error: { code: 'NetConnection.Connect.Rejected', description: 'Malformed request' },
};

/** How long a closing socket may take to flush its last words before it is destroyed. */
const LINGER_MS = 1000;

export class Conn implements Publisher, Subscriber {
  readonly id: string;
  readonly remoteAddress: string;
  readonly transport: Transport;
  readonly openedAt: number;
  role: 'pending' | 'publisher' | 'subscriber' = 'pending';
  since = 0;
  lastReadAt: number;
  receivedBytes = 0;
  sentBytes = 0;
  droppedFrames = 0;
  private closing = false;
  private readonly protocol: RtmpProtocol;
  private readonly writeState: WriteState = { dropping: false };
  private lastFlushed = 0;
  private lastFlushProgressAt: number;

  constructor(private readonly deps: ConnDeps) {
    this.id = deps.id;
    this.transport = deps.transport;
    const { socket } = deps;
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.openedAt = this.lastReadAt = this.lastFlushProgressAt = deps.now();
    this.protocol = new RtmpProtocol({
      output: (buffer) => this.write(buffer),
      command: (command) => this.onCommand(command),
      media: (message) => deps.stream.media(this, message),
      // OBS and ffmpeg send deleteStream when they stop; end at once rather than at the socket close.
      streamDeleted: () => {
        if (this.role !== 'pending') this.end('closed_by_peer');
      },
    });
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('error', (err) => deps.log.debug('socket error', { conn: this.id, err }));
    socket.on('close', () => this.onSocketClosed());
  }

  get queuedBytes(): number {
    return this.deps.socket.writableLength;
  }

  deliver(message: Buffer, kind: MessageKind): void {
    if (this.closing) return;
    const decision = decideWrite(this.writeState, {
      kind,
      size: message.length,
      queued: this.deps.socket.writableLength,
      maxQueuedBytes: this.deps.limits.subscriberQueueBytes,
      policy: this.deps.limits.slowSubscriber,
    });
    if (decision === 'write') this.write(message);
    else if (decision === 'drop') {
      this.droppedFrames++;
      this.deps.observer.dropped(1);
    } else this.end('slow_subscriber');
  }

  /** Ends an accepted session (or turns a pending connection away) and closes the socket. */
  end(reason: EndReason): void {
    if (this.closing) return;
    this.closing = true;
    const role = this.role;
    if (role === 'publisher') this.deps.stream.release(this, reason);
    if (role === 'subscriber') {
      this.deps.stream.leave(this);
      if (reason === 'publisher_gone' || reason === 'shutdown') this.protocol.sendPlayEnd();
    }
    if (role !== 'pending') {
      this.deps.observer.ended(role, reason);
      this.deps.log.info(role === 'publisher' ? 'publish ended' : 'subscription ended', {
        conn: this.id,
        remoteAddress: this.remoteAddress,
        reason,
        durationSeconds: Math.round((this.deps.now() - this.since) / 100) / 10,
        receivedBytes: this.receivedBytes,
        sentBytes: this.sentBytes,
        ...(role === 'subscriber' ? { droppedFrames: this.droppedFrames } : {}),
      });
    }
    this.closeSocket();
  }

  /** Turns a connection away before it published or played. */
  reject(reason: RejectReason, detail?: string): void {
    if (this.closing) return;
    this.deps.observer.rejected(reason);
    this.deps.log.info('connection refused', {
      conn: this.id,
      remoteAddress: this.remoteAddress,
      reason,
      ...(detail ? { detail } : {}),
    });
    this.closing = true;
    this.closeSocket();
  }

  /** Timeouts, driven by the server's sweep. */
  tick(now: number): void {
    if (this.closing) return;
    if (this.role === 'pending') {
      if (now - this.openedAt >= this.deps.limits.handshakeTimeoutMs) this.reject('handshake_timeout');
    } else if (this.role === 'publisher') {
      if (now - this.lastReadAt >= this.deps.limits.idleTimeoutMs) this.end('idle_timeout');
    } else {
      // A subscriber that reads nothing while data waits for it is dead or wedged.
      const queued = this.deps.socket.writableLength;
      const flushed = this.sentBytes - queued;
      if (queued === 0 || flushed !== this.lastFlushed) {
        this.lastFlushed = flushed;
        this.lastFlushProgressAt = now;
      } else if (now - this.lastFlushProgressAt >= this.deps.limits.idleTimeoutMs) {
        this.end('stalled');
      }
    }
  }

  private onData(data: Buffer): void {
    if (this.closing) return; // a closing connection's bytes go nowhere
    this.receivedBytes += data.length;
    this.lastReadAt = this.deps.now();
    this.deps.observer.received(this.transport, data.length);
    try {
      this.protocol.feed(data);
    } catch (err) {
      if (!(err instanceof ProtocolError))
        this.deps.log.error('unexpected error in the RTMP parser', { conn: this.id, err });
      const detail = (err as Error).message;
      if (this.role === 'pending') this.reject('protocol_error', detail);
      else {
        this.deps.log.warn('protocol error', { conn: this.id, detail });
        this.end('protocol_error');
      }
    }
  }

  private onCommand(command: RtmpCommand): void {
    const request = parseStreamRequest(command.app, command.streamName);
    const { stream, credentials } = this.deps;
    let refusal: RejectReason | undefined = this.deps.draining() ? 'shutting_down' : undefined;
    if (command.kind === 'publish') {
      refusal ??= publishRefusal(request, credentials.streamKey());
      if (!refusal) {
        this.role = 'publisher';
        this.since = this.deps.now();
        if (!stream.claim(this)) {
          this.role = 'pending';
          refusal = 'publisher_active';
        }
      }
    } else {
      refusal ??= playRefusal(request, credentials.playToken()) ?? stream.joinRefusal();
    }
    if (refusal) {
      const status = refusalStatus[refusal];
      this.protocol.refuse(status.code, status.description);
      this.reject(refusal);
      return;
    }
    this.protocol.accept();
    if (command.kind === 'play') {
      this.role = 'subscriber';
      this.since = this.deps.now();
      stream.join(this); // after accept(): the player must see Play.Start before any media
    }
    this.deps.log.info(command.kind === 'publish' ? 'publish started' : 'subscription started', {
      conn: this.id,
      remoteAddress: this.remoteAddress,
      transport: this.transport,
      path: STREAM_PATH,
    });
  }

  private write(buffer: Buffer): void {
    const { socket } = this.deps;
    if (socket.destroyed || !socket.writable) return;
    this.sentBytes += buffer.length;
    this.deps.observer.sent(this.transport, buffer.length);
    socket.write(buffer);
  }

  private closeSocket(): void {
    const { socket } = this.deps;
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  }

  private onSocketClosed(): void {
    if (!this.closing) {
      if (this.role === 'pending') this.closing = true;
      else this.end('closed_by_peer');
    }
    this.deps.onClosed(this);
  }
}
