import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IngestSpec, LiveStream, Rendition } from '../../../operator/api/v1alpha1/index.js';
import {
  acceleratorOrder,
  bufsizeKbit,
  ingestServicePort,
  maxrateKbps,
  streamKeySecretRef,
} from '../../../operator/api/v1alpha1/index.js';

const rendition = (extra: Partial<Rendition> = {}): Rendition => ({
  name: '720p',
  width: 1280,
  height: 720,
  videoBitrateKbps: 3000,
  audioBitrateKbps: 128,
  ...extra,
});

describe('values the schema documents but cannot default', () => {
  test('the peak bitrate is the target bitrate unless set', () => {
    assert.equal(maxrateKbps(rendition()), 3000);
    assert.equal(maxrateKbps(rendition({ videoMaxrateKbps: 3210 })), 3210);
  });

  test('the buffer holds two seconds at the peak bitrate unless set', () => {
    assert.equal(bufsizeKbit(rendition()), 6000);
    assert.equal(bufsizeKbit(rendition({ videoMaxrateKbps: 4000 })), 8000);
    assert.equal(bufsizeKbit(rendition({ videoBufsizeKbit: 1500 })), 1500);
  });

  test('the ingest port is 1935 for rtmp and 443 for rtmps unless set', () => {
    const ingest = (protocol: IngestSpec['protocol'], port?: number): IngestSpec => ({
      protocol,
      service: { type: 'ClusterIP', ...(port ? { port } : {}) },
    });
    assert.equal(ingestServicePort(ingest('rtmp')), 1935);
    assert.equal(ingestServicePort(ingest('rtmps')), 443);
    assert.equal(ingestServicePort(ingest('rtmps', 1936)), 1936);
  });

  test('a stream without a key reference gets the generated <name>-stream-key Secret', () => {
    const stream = (ref?: { name: string; key: string }) =>
      ({
        metadata: { name: 'main-stage' },
        spec: { ingest: { protocol: 'rtmp', service: { type: 'ClusterIP' }, streamKeySecretRef: ref } },
      }) as unknown as LiveStream;
    assert.deepEqual(streamKeySecretRef(stream()), { name: 'main-stage-stream-key', key: 'streamKey' });
    assert.deepEqual(streamKeySecretRef(stream({ name: 'mine', key: 'k' })), { name: 'mine', key: 'k' });
  });

  test('CPU fallback appends cpu to a list that does not name it', () => {
    assert.deepEqual(acceleratorOrder({ acceleratorPreference: ['nvidia'], allowCpuFallback: true }), [
      'nvidia',
      'cpu',
    ]);
    assert.deepEqual(acceleratorOrder({ acceleratorPreference: ['nvidia'], allowCpuFallback: false }), [
      'nvidia',
    ]);
    assert.deepEqual(acceleratorOrder({ acceleratorPreference: ['amd', 'cpu'], allowCpuFallback: true }), [
      'amd',
      'cpu',
    ]);
    assert.deepEqual(acceleratorOrder({ acceleratorPreference: ['cpu'], allowCpuFallback: false }), ['cpu']);
  });
});
