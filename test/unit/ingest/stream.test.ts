import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  mayTakeOver,
  Stream,
  type EndReason,
  type Publisher,
  type StreamOptions,
  type Subscriber,
} from '../../../ingest/rtmp/stream.js';
import type { MessageKind } from '../../../ingest/rtmp/write-policy.js';
import * as f from './fixtures.js';

class FakePublisher implements Publisher {
  readonly remoteAddress = '192.0.2.1:5000';
  readonly transport = 'rtmp' as const;
  receivedBytes = 0;
  endedWith: EndReason | undefined;
  constructor(
    readonly id: string,
    public lastReadAt: number,
    private readonly stream: () => Stream,
  ) {}
  end(reason: EndReason): void {
    this.endedWith = reason;
    this.stream().release(this, reason);
  }
}

class FakeSubscriber implements Subscriber {
  readonly remoteAddress = '192.0.2.2:6000';
  readonly transport = 'rtmp' as const;
  readonly since = 0;
  queuedBytes = 0;
  droppedFrames = 0;
  sentBytes = 0;
  got: { kind: MessageKind; type: number; bytes: number }[] = [];
  endedWith: EndReason | undefined;
  constructor(readonly id: string) {}
  deliver(message: Buffer, kind: MessageKind): void {
    // An RTMP type-0 chunk header: basic header (1 byte), timestamp (3), length (3), type (1), stream id (4).
    this.got.push({ kind, type: message[7]!, bytes: message.readUIntBE(4, 3) });
  }
  end(reason: EndReason): void {
    this.endedWith = reason;
  }
}

function setup(options: Partial<StreamOptions> = {}) {
  const clock = { now: 100_000 };
  const published: boolean[] = [];
  const stream: Stream = new Stream(
    {
      takeover: 'stale',
      takeoverAfterMs: 2000,
      maxSubscribers: 2,
      gopCacheBytes: 10_000,
      now: () => clock.now,
      ...options,
    },
    {
      published: (_p, tookOver) => published.push(tookOver),
      unpublished: () => undefined,
      media: () => undefined,
    },
  );
  const publisher = (id: string) => new FakePublisher(id, clock.now, () => stream);
  return { stream, clock, published, publisher };
}

const video = (payload: Buffer, timestamp = 0) => ({ type: 9 as const, timestamp, payload });
const audio = (payload: Buffer, timestamp = 0) => ({ type: 8 as const, timestamp, payload });

describe('takeover policy', () => {
  const cases: [string, 'never' | 'stale' | 'always', number, boolean][] = [
    ['never: not even a long-silent publisher is replaced', 'never', 60_000, false],
    ['stale: a publisher silent for the threshold is replaced', 'stale', 2000, true],
    ['stale: a publisher that just sent data keeps the stream', 'stale', 1999, false],
    ['always: the newest publisher wins', 'always', 0, true],
  ];
  for (const [name, policy, silentFor, expected] of cases) {
    test(name, () => assert.equal(mayTakeOver(policy, silentFor, 2000), expected));
  }
});

describe('stream', () => {
  test('a second publisher is refused while the first one is alive', () => {
    const { stream, publisher } = setup();
    const first = publisher('a');
    assert.equal(stream.claim(first), true);
    assert.equal(stream.claim(publisher('b')), false);
    assert.equal(stream.publisher, first);
    assert.equal(first.endedWith, undefined);
  });

  test('a silent publisher is taken over; its subscribers are ended so they restart clean', () => {
    const { stream, clock, published, publisher } = setup();
    const first = publisher('a');
    stream.claim(first);
    const sub = new FakeSubscriber('s');
    stream.join(sub);
    clock.now += 2500;
    const second = publisher('b');
    assert.equal(stream.claim(second), true);
    assert.equal(first.endedWith, 'taken_over');
    assert.equal(sub.endedWith, 'publisher_gone');
    assert.equal(stream.publisher, second);
    assert.equal(stream.subscriberCount, 0);
    assert.deepEqual(published, [false, true]);
    assert.equal(stream.lastPublish?.reason, 'taken_over');
  });

  test('media from anyone but the current publisher is ignored', () => {
    const { stream, publisher } = setup();
    const first = publisher('a');
    const intruder = publisher('b');
    stream.claim(first);
    const sub = new FakeSubscriber('s');
    stream.join(sub);
    stream.media(intruder, video(f.avcSequenceHeader));
    stream.media(intruder, video(f.keyframe()));
    assert.deepEqual(sub.got, []);
    assert.equal(stream.info.video, null);
  });

  test('a new subscriber gets metadata, headers and the current GOP, in order', () => {
    const { stream, publisher } = setup();
    const pub = publisher('a');
    stream.claim(pub);
    stream.media(pub, {
      type: 18,
      timestamp: 0,
      payload: f.metadata({ width: 1280, height: 720, encoder: 'test-encoder' }),
    });
    stream.media(pub, video(f.avcSequenceHeader));
    stream.media(pub, audio(f.aacSequenceHeader));
    stream.media(pub, video(f.keyframe(), 0));
    stream.media(pub, video(f.interframe(), 33));
    stream.media(pub, video(f.keyframe(), 66)); // a new GOP starts here
    stream.media(pub, audio(f.aacFrame(), 70));
    stream.media(pub, video(f.interframe(), 100));
    const sub = new FakeSubscriber('s');
    stream.join(sub);
    assert.deepEqual(
      sub.got.map((g) => `${g.kind}:${g.type}`),
      ['config:18', 'config:8', 'config:9', 'keyframe:9', 'frame:8', 'frame:9'],
    );
    assert.equal(stream.info.encoder, 'test-encoder');
    assert.deepEqual(stream.info.video, {
      codec: 'h264',
      profile: 'Main',
      level: '3.1',
      width: 1280,
      height: 720,
    });
    assert.deepEqual(stream.info.audio, { codec: 'aac', profile: 'LC', sampleRateHz: 48000, channels: 2 });
  });

  test('metadata is relayed as onMetaData without the @setDataFrame wrapper', () => {
    const { stream, publisher } = setup();
    const pub = publisher('a');
    stream.claim(pub);
    const sub = new FakeSubscriber('s');
    stream.join(sub);
    const payload = f.metadata({ width: 640 });
    stream.media(pub, { type: 18, timestamp: 0, payload });
    assert.equal(sub.got[0]!.bytes, payload.length - 16);
  });

  test('a GOP larger than the cache is not kept', () => {
    const { stream, publisher } = setup({ gopCacheBytes: 1000 });
    const pub = publisher('a');
    stream.claim(pub);
    stream.media(pub, video(f.keyframe(600)));
    stream.media(pub, video(f.interframe(600)));
    const sub = new FakeSubscriber('s');
    stream.join(sub);
    assert.deepEqual(sub.got, []);
  });

  test('subscribers need a publisher and fit within the limit', () => {
    const { stream, publisher } = setup();
    assert.equal(stream.joinRefusal(), 'no_publisher');
    stream.claim(publisher('a'));
    stream.join(new FakeSubscriber('1'));
    stream.join(new FakeSubscriber('2'));
    assert.equal(stream.joinRefusal(), 'subscriber_limit');
  });

  test('when the publisher leaves, subscribers end and the live figures reset', () => {
    const { stream, publisher } = setup();
    const pub = publisher('a');
    stream.claim(pub);
    stream.media(pub, video(f.avcSequenceHeader));
    const sub = new FakeSubscriber('s');
    stream.join(sub);
    stream.release(pub, 'closed_by_peer');
    assert.equal(sub.endedWith, 'publisher_gone');
    assert.equal(stream.publisher, undefined);
    assert.equal(stream.info.video, null);
    assert.equal(stream.lastPublish?.reason, 'closed_by_peer');
    stream.claim(publisher('b'));
    const late = new FakeSubscriber('late');
    stream.join(late);
    assert.deepEqual(late.got, [], 'nothing of the previous publish is replayed');
  });
});
