import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ProtocolError,
  RtmpProtocol,
  type MediaMessage,
  type RtmpCommand,
} from '../../../ingest/rtmp/protocol.js';
import * as f from './fixtures.js';

function harness(answer: (p: RtmpProtocol, c: RtmpCommand) => void = (p) => p.accept()) {
  const out: Buffer[] = [];
  const commands: RtmpCommand[] = [];
  const media: MediaMessage[] = [];
  const deleted: number[] = [];
  const protocol: RtmpProtocol = new RtmpProtocol({
    streamDeleted: () => deleted.push(1),
    output: (b) => out.push(b),
    command: (c) => {
      commands.push(c);
      answer(protocol, c);
    },
    media: (m) => media.push({ ...m, payload: Buffer.from(m.payload) }),
  });
  return { protocol, out, commands, media, deleted, text: () => Buffer.concat(out).toString('latin1') };
}

const start = (app = 'live') => Buffer.concat([f.handshake(), f.setChunkSize(), f.connect(app)]);

describe('RTMP protocol guards', () => {
  test('a connect without tcUrl is a protocol error (it crashes a bare node-media-server 4.4.3)', () => {
    const h = harness();
    assert.throws(
      () => h.protocol.feed(Buffer.concat([f.handshake(), f.setChunkSize(), f.connect('live', null)])),
      {
        name: 'ProtocolError',
        message: 'connect without a valid tcUrl',
      },
    );
  });

  test('publish is answered only by the connection, and only then does media flow', () => {
    const h = harness();
    h.protocol.feed(Buffer.concat([start(), f.publish('my-stream-key')]));
    assert.deepEqual(h.commands, [{ kind: 'publish', app: 'live', streamName: 'my-stream-key' }]);
    assert.match(h.text(), /NetStream\.Publish\.Start/);
    h.protocol.feed(f.chunk(6, 9, 1, f.keyframe(10), 40));
    assert.equal(h.media.length, 1);
    assert.deepEqual(h.media[0], { type: 9, timestamp: 40, payload: f.keyframe(10) });
  });

  test("a refused publisher's media goes nowhere (node-media-server 4.4.3 relays it)", () => {
    const h = harness((p) => p.refuse('NetStream.Publish.BadName', 'The stream is already being published'));
    h.protocol.feed(Buffer.concat([start(), f.publish('key'), f.chunk(6, 9, 1, f.keyframe(10), 0)]));
    assert.match(h.text(), /NetStream\.Publish\.BadName/);
    assert.doesNotMatch(h.text(), /Publish\.Start/);
    assert.equal(h.media.length, 0);
  });

  test('media sent before publish goes nowhere', () => {
    const h = harness();
    h.protocol.feed(Buffer.concat([start(), f.chunk(6, 9, 1, f.keyframe(10), 0)]));
    assert.equal(h.media.length, 0);
  });

  test("a player's media goes nowhere", () => {
    const h = harness();
    h.protocol.feed(Buffer.concat([start(), f.play('stream?token=x'), f.chunk(6, 9, 1, f.keyframe(10), 0)]));
    assert.match(h.text(), /NetStream\.Play\.Start/);
    assert.equal(h.media.length, 0);
  });

  test('a second publish on one connection is a protocol error', () => {
    const h = harness();
    h.protocol.feed(Buffer.concat([start(), f.publish('a')]));
    assert.throws(
      () => h.protocol.feed(f.publish('b')),
      /publish after a publish or play on the same connection/,
    );
  });

  test('publish before connect is a protocol error', () => {
    const h = harness();
    assert.throws(
      () => h.protocol.feed(Buffer.concat([f.handshake(), f.setChunkSize(), f.publish('a')])),
      /publish before connect/,
    );
  });

  test('a large message before publish is accepted is refused before it is buffered', () => {
    const h = harness();
    assert.throws(
      () => h.protocol.feed(Buffer.concat([start(), f.chunk(6, 9, 1, Buffer.alloc(70_000))])),
      /70000-byte message is larger than allowed \(65536\)/,
    );
  });

  test('many chunk streams are refused', () => {
    const h = harness();
    const many = Array.from({ length: 70 }, (_, i) => f.chunk(10 + i, 18, 0, Buffer.from([2, 0, 1, 0x61])));
    assert.throws(() => h.protocol.feed(Buffer.concat([start(), ...many])), /more than 64 chunk streams/);
  });

  test('a chunk size of 0 is refused', () => {
    const h = harness();
    assert.throws(
      () => h.protocol.feed(Buffer.concat([f.handshake(), f.setChunkSize(0)])),
      /chunk size 0 is out of range/,
    );
  });

  test('a handler that neither accepts nor refuses is a bug that surfaces', () => {
    const h = harness(() => undefined);
    assert.throws(
      () => h.protocol.feed(Buffer.concat([start(), f.publish('a')])),
      /neither accepted nor refused/,
    );
  });

  test('errors are ProtocolErrors', () => {
    const h = harness();
    try {
      h.protocol.feed(Buffer.concat([f.handshake(), f.setChunkSize(0)]));
    } catch (err) {
      assert.ok(err instanceof ProtocolError);
    }
  });

  test('deleteStream is reported (the encoder stopped publishing)', () => {
    const h = harness();
    h.protocol.feed(
      Buffer.concat([start(), f.publish('a'), f.command('deleteStream', 5, { cmdObj: null, streamId: 1 })]),
    );
    assert.equal(h.deleted.length, 1);
  });

  test('the publisher gets an acknowledgement after each window it announced', () => {
    const h = harness();
    const window = Buffer.alloc(4);
    window.writeUInt32BE(5000);
    h.protocol.feed(Buffer.concat([start(), f.chunk(2, 5, 0, window), f.publish('a')]));
    const before = h.out.length;
    h.protocol.feed(f.chunk(6, 9, 1, f.keyframe(6000)));
    const acks = h.out.slice(before).filter((b) => b.length === 16 && b[7] === 3);
    assert.equal(acks.length, 1);
  });
});
