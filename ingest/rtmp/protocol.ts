// One connection's RTMP protocol state on top of node-media-server's engine, with the guards the
// engine lacks: nothing is answered to publish/play until the connection decides, media from a
// connection that is not an accepted publisher goes nowhere, messages and chunk streams are
// bounded (tighter before a publish is accepted), malformed input ends the connection instead of
// throwing out of a socket handler (a connect without tcUrl crashes a bare node-media-server 4.4.3).
import { NmsRtmpEngine, type NmsInvokeMessage, type NmsPacket } from './nms.js';

export type CommandKind = 'publish' | 'play';

export interface RtmpCommand {
  kind: CommandKind;
  /** The connect command's `app` (may carry a query). */
  app: string;
  /** The publish/play stream name (may carry a query). */
  streamName: string;
}

/** A media or data message; `payload` is only valid during the call (the parser reuses it). */
export interface MediaMessage {
  type: 8 | 9 | 18;
  timestamp: number;
  payload: Buffer;
}

export interface ProtocolHandlers {
  output(buffer: Buffer): void;
  /** A publish or play request; answer with accept() or refuse() before returning. */
  command(command: RtmpCommand): void;
  /** Media from this connection, delivered only after a publish was accepted. */
  media(message: MediaMessage): void;
  /** The client deleted its stream (an encoder that stops publishing, a player that stops playing). */
  streamDeleted(): void;
}

export interface ProtocolLimits {
  /** Largest message before a publish is accepted (commands only). */
  preAuthMessageBytes: number;
  /** Largest total of per-chunk-stream buffers before / after a publish is accepted. */
  preAuthBufferBytes: number;
  maxBufferBytes: number;
  /** Distinct chunk stream ids one connection may use. */
  maxChunkStreams: number;
}

export const defaultLimits: ProtocolLimits = {
  preAuthMessageBytes: 64 * 1024,
  preAuthBufferBytes: 1024 * 1024,
  maxBufferBytes: 64 * 1024 * 1024,
  maxChunkStreams: 64,
};

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

const STREAM_EOF = 1;
const TYPE_SET_CHUNK_SIZE = 1;

export class RtmpProtocol {
  private readonly engine: HardenedEngine;
  private answered: CommandKind | 'refused' | undefined;
  private receivedBytes = 0;
  private lastAckBytes = 0;

  constructor(
    readonly handlers: ProtocolHandlers,
    readonly limits: ProtocolLimits = defaultLimits,
  ) {
    this.engine = new HardenedEngine(this);
  }

  /** The publish/play this connection was granted, if any. */
  get accepted(): CommandKind | undefined {
    return this.answered === 'refused' ? undefined : this.answered;
  }

  /** @internal the request being decided, set while handlers.command runs. */
  pending: { kind: CommandKind; streamId: number } | undefined;

  /** Feeds bytes read from the socket. Throws ProtocolError on anything malformed. */
  feed(data: Buffer): void {
    this.receivedBytes += data.length;
    let error: string | null;
    try {
      error = this.engine.parserData(data);
    } catch (err) {
      throw err instanceof ProtocolError
        ? err
        : new ProtocolError(`malformed RTMP input: ${(err as Error).message}`);
    }
    if (error !== null) throw new ProtocolError(error);
    // Acknowledge as RTMP asks (node-media-server never does; some encoders stall without it).
    const window = this.engine.ackSize ?? 0;
    if (window > 0 && this.receivedBytes - this.lastAckBytes >= window) {
      this.lastAckBytes = this.receivedBytes;
      this.engine.sendACK(this.receivedBytes % 2 ** 32);
    }
  }

  accept(): void {
    const pending = this.takePending();
    this.answered = pending.kind;
    if (pending.kind === 'publish') {
      this.engine.sendStatusMessage(
        pending.streamId,
        'status',
        'NetStream.Publish.Start',
        'Publishing started.',
      );
    } else {
      this.engine.respondPlay();
    }
  }

  /** Answers with an RTMP error status; clients such as ffmpeg print the description and exit. */
  refuse(code: string, description: string): void {
    const pending = this.takePending();
    this.answered = 'refused';
    this.engine.sendStatusMessage(pending.streamId, 'error', code, description);
  }

  /** Tells a player the stream ended (ffmpeg then exits cleanly instead of waiting for a timeout). */
  sendPlayEnd(): void {
    const streamId = this.engine.streamId;
    this.engine.sendStatusMessage(streamId, 'status', 'NetStream.Play.UnpublishNotify', 'The stream ended.');
    this.engine.sendStreamStatus(STREAM_EOF, streamId);
  }

  private takePending(): { kind: CommandKind; streamId: number } {
    const pending = this.pending;
    if (!pending) throw new Error('no publish or play request is waiting for an answer');
    this.pending = undefined;
    return pending;
  }

  /** @internal called by the engine */
  onCommand(kind: CommandKind, message: NmsInvokeMessage, streamId: number, app: unknown): void {
    if (this.answered !== undefined)
      throw new ProtocolError(`${kind} after a publish or play on the same connection`);
    if (typeof app !== 'string') throw new ProtocolError(`${kind} before connect`);
    if (typeof message.streamName !== 'string') throw new ProtocolError(`${kind} without a stream name`);
    this.pending = { kind, streamId };
    this.handlers.command({ kind, app, streamName: message.streamName });
    if (this.pending) throw new Error(`the ${kind} request was neither accepted nor refused`);
  }

  /** @internal called by the engine */
  onPacket(packet: NmsPacket): void {
    if (this.answered !== 'publish') return; // the defect that let a refused publisher reach viewers
    const type = packet.codec_type;
    if (type !== 8 && type !== 9 && type !== 18) return;
    this.handlers.media({ type, timestamp: packet.dts, payload: packet.data.subarray(0, packet.size) });
  }

  /** @internal */
  bufferLimit(): number {
    return this.answered === 'publish' ? this.limits.maxBufferBytes : this.limits.preAuthBufferBytes;
  }

  /** @internal */
  messageLimit(): number {
    return this.answered === 'publish' ? 0xffffff : this.limits.preAuthMessageBytes;
  }
}

class HardenedEngine extends NmsRtmpEngine {
  private connected = false;

  constructor(private readonly owner: RtmpProtocol) {
    super();
    this.onOutputCallback = (buffer) => owner.handlers.output(buffer);
    this.onPacketCallback = (packet) => owner.onPacket(packet);
  }

  override onConnect(message: NmsInvokeMessage): void {
    if (this.connected) throw new ProtocolError('a second connect on the same connection');
    const cmdObj = message.cmdObj;
    if (!cmdObj || typeof cmdObj.app !== 'string') throw new ProtocolError('connect without an app');
    if (typeof cmdObj.tcUrl !== 'string' || !URL.canParse(cmdObj.tcUrl)) {
      throw new ProtocolError('connect without a valid tcUrl');
    }
    this.connected = true;
    super.onConnect(message);
  }

  override onPublish(message: NmsInvokeMessage): void {
    this.owner.onCommand(
      'publish',
      message,
      this.parserPacket.header.stream_id,
      this.connected ? this.streamApp : undefined,
    );
  }

  override onPlay(message: NmsInvokeMessage): void {
    this.owner.onCommand(
      'play',
      message,
      this.parserPacket.header.stream_id,
      this.connected ? this.streamApp : undefined,
    );
  }

  override onDeleteStream(): void {
    this.owner.handlers.streamDeleted();
  }

  override packetParse(): void {
    super.packetParse();
    if (this.inPackets.size > this.owner.limits.maxChunkStreams) {
      throw new ProtocolError(`more than ${this.owner.limits.maxChunkStreams} chunk streams`);
    }
  }

  override packetAlloc(): void {
    const packet = this.parserPacket;
    const length = packet.header.length;
    if (length > this.owner.messageLimit()) {
      throw new ProtocolError(
        `a ${length}-byte message is larger than allowed (${this.owner.messageLimit()})`,
      );
    }
    if (packet.capacity < length) {
      let total = length + 1024;
      for (const other of this.inPackets.values()) if (other !== packet) total += other.capacity;
      if (total > this.owner.bufferLimit()) {
        throw new ProtocolError(
          `message buffers would grow to ${total} bytes (limit ${this.owner.bufferLimit()})`,
        );
      }
    }
    super.packetAlloc();
  }

  override controlHandler(): void {
    if (this.parserPacket.header.type === TYPE_SET_CHUNK_SIZE) {
      const size = this.parserPacket.payload.readUInt32BE(0);
      if (size < 1 || size > 0xffffff) throw new ProtocolError(`chunk size ${size} is out of range`);
    }
    super.controlHandler();
  }
}
