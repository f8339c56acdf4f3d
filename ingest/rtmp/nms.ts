// The parts of node-media-server 4.4.3 this ingest runs on: its RTMP protocol engine (handshake,
// chunk stream parser, AMF0 commands, message encoder) and its AMF0 data decoder. The package ships
// no types (and @types/node-media-server describes v2), so the few members used are typed here.
// Its servers, sessions, broadcast fan-out, store and HTTP API are deliberately not used: see
// docs/decisions/0003-ingest-on-node-media-server.md.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** node-media-server's AVPacket: one media or data message. */
export interface NmsPacket {
  codec_type: number;
  codec_id: number;
  flags: number;
  dts: number;
  pts: number;
  size: number;
  /** May be longer than `size` (the parser reuses its buffers): use data.subarray(0, size). */
  data: Buffer;
}

export interface NmsInvokeMessage {
  cmd?: unknown;
  transId?: unknown;
  cmdObj?: Record<string, unknown> | null;
  streamName?: unknown;
}

interface NmsChunkPacket {
  header: { fmt: number; cid: number; timestamp: number; length: number; type: number; stream_id: number };
  clock: number;
  payload: Buffer;
  capacity: number;
  bytes: number;
}

/** The members of node-media-server's `Rtmp` class (src/protocol/rtmp.js) this ingest uses. */
export interface NmsRtmp {
  onConnectCallback: (req: unknown) => void;
  onPlayCallback: () => void;
  onPushCallback: () => void;
  onPacketCallback: (packet: NmsPacket) => void;
  onOutputCallback: (buffer: Buffer) => void;
  /** Feeds socket bytes; returns an error text or null. May throw on malformed input. */
  parserData(buffer: Buffer): string | null;
  /** 0..2 during the handshake, 3 once C2 arrived. */
  handshakeState: number;
  streamApp: string;
  streamId: number;
  inChunkSize: number;
  ackSize?: number;
  inPackets: Map<number, NmsChunkPacket>;
  parserPacket: NmsChunkPacket;
  onConnect(message: NmsInvokeMessage): void;
  onPublish(message: NmsInvokeMessage): void;
  onPlay(message: NmsInvokeMessage): void;
  onDeleteStream(message: NmsInvokeMessage): void;
  packetParse(): void;
  packetAlloc(): void;
  controlHandler(): void;
  respondPlay(): void;
  sendStatusMessage(streamId: number, level: string, code: string, description: string): void;
  sendStreamStatus(status: number, streamId: number): void;
  sendACK(size: number): void;
}

export interface NmsRtmpClass {
  new (): NmsRtmp;
  /** Encodes one packet as RTMP chunks (chunk size 65535, as announced on connect). */
  createMessage(packet: Pick<NmsPacket, 'codec_type' | 'size' | 'dts' | 'data'>): Buffer;
}

interface NmsAmf {
  decodeAmf0Data(buffer: Buffer): { cmd?: unknown; method?: unknown; dataObj?: unknown };
}

interface NmsLogger {
  level: string;
  log(message: string, level?: string): void;
}

export const NmsRtmpEngine = require('node-media-server/src/protocol/rtmp.js') as NmsRtmpClass;
export const nmsAmf = require('node-media-server/src/protocol/amf.js') as NmsAmf;
const nmsLogger = require('node-media-server/src/core/logger.js') as NmsLogger;

/**
 * Routes node-media-server's own logger (a console.log singleton forced to debug level) into ours,
 * at debug level, so its lines are JSON, redacted and silent unless --log-level debug.
 */
export function tameNmsLogger(sink: (message: string, level: string) => void): void {
  nmsLogger.level = 'trace';
  nmsLogger.log = (message: string, level = 'info') => sink(String(message), level);
}
