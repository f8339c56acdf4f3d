// Small builders of RTMP/FLV bytes for the ingest's unit tests, using node-media-server's own
// encoders (the same code a node-media-server client would run).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface ChunkPacket {
  header: { fmt: number; cid: number; timestamp: number; length: number; type: number; stream_id: number };
  clock: number;
  payload: Buffer;
}
const Rtmp = require('node-media-server/src/protocol/rtmp.js') as { chunksCreate(p: ChunkPacket): Buffer };
const amf = require('node-media-server/src/protocol/amf.js') as {
  encodeAmf0Cmd(o: object): Buffer;
  encodeAmf0Data(o: object): Buffer;
};

/** One RTMP message as chunks of 65535 bytes (the client announces that chunk size first). */
export function chunk(cid: number, type: number, streamId: number, payload: Buffer, timestamp = 0): Buffer {
  return Rtmp.chunksCreate({
    header: { fmt: 0, cid, timestamp, length: payload.length, type, stream_id: streamId },
    clock: timestamp,
    payload,
  });
}

export function setChunkSize(size = 0xffff): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(size);
  return chunk(2, 1, 0, payload);
}

export function command(cmd: string, transId: number, fields: object, streamId = 0): Buffer {
  return chunk(3, 20, streamId, amf.encodeAmf0Cmd({ cmd, transId, ...fields }));
}

/** A connect command; `tcUrl: null` leaves the field out. */
export function connect(app: string, tcUrl: string | null = `rtmp://127.0.0.1/${app}`): Buffer {
  const cmdObj: Record<string, unknown> = { app };
  if (tcUrl !== null) cmdObj.tcUrl = tcUrl;
  return command('connect', 1, { cmdObj });
}

export function publish(streamName: string): Buffer {
  return command('publish', 3, { cmdObj: null, streamName, type: 'live' }, 1);
}

export function play(streamName: string): Buffer {
  return command('play', 3, { cmdObj: null, streamName, start: -2, duration: -1, reset: true }, 1);
}

/** C0 + C1 and C2 of a simple handshake. */
export function handshake(): Buffer {
  return Buffer.concat([Buffer.from([3]), Buffer.alloc(1536), Buffer.alloc(1536)]);
}

export function metadata(fields: object): Buffer {
  return amf.encodeAmf0Data({ cmd: '@setDataFrame', method: 'onMetaData', dataObj: fields });
}

// FLV tag payloads
const sps720p = Buffer.from('674d401feca02802dd8088000003000800000301e078c18cb0', 'hex');
export const avcSequenceHeader = Buffer.concat([
  Buffer.from([0x17, 0, 0, 0, 0, 1, 0x4d, 0x40, 0x1f, 0xff, 0xe1, 0, sps720p.length]),
  sps720p,
  Buffer.from([1, 0, 4, 0x68, 0xee, 0x3c, 0x80]),
]);
export const aacSequenceHeader = Buffer.from([0xaf, 0, 0x11, 0x90]);
export const keyframe = (size = 100): Buffer =>
  Buffer.concat([Buffer.from([0x17, 1, 0, 0, 0]), Buffer.alloc(size, 0x65)]);
export const interframe = (size = 50): Buffer =>
  Buffer.concat([Buffer.from([0x27, 1, 0, 0, 0]), Buffer.alloc(size, 0x41)]);
export const aacFrame = (size = 20): Buffer =>
  Buffer.concat([Buffer.from([0xaf, 1]), Buffer.alloc(size, 0x21)]);
