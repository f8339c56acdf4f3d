import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ingestUrl, playbackUrls } from '../../../operator/controllers/livestream/urls.js';
import type { NodeRecord } from '../../../operator/cluster/usage.js';
import { liveStream } from '../build/fixtures.js';

const node = (name: string, addresses: NodeRecord['addresses'], ready = true): NodeRecord => ({
  metadata: { name, labels: {} },
  taints: [],
  allocatable: {},
  ready,
  unschedulable: false,
  addresses,
});
const svc = (
  type: string,
  port: number,
  nodePort?: number,
  ingress?: { ip?: string; hostname?: string }[],
) => ({
  metadata: { name: 'main-ingest', namespace: 'streams' },
  spec: { type, ports: [{ port, nodePort }] },
  status: { loadBalancer: { ingress } },
});

describe('ingest and playback URLs', () => {
  const stream = liveStream('main');
  const nodes = [
    node('b', [{ type: 'InternalIP', address: '198.18.0.2' }]),
    node('a', [{ type: 'InternalIP', address: '198.18.0.1' }]),
  ];

  test('a ClusterIP Service (or none yet) is reached by its cluster DNS name', () => {
    assert.equal(
      ingestUrl(stream, undefined, 'cluster.local', nodes),
      'rtmp://main-ingest.streams.svc.cluster.local:1935/live',
    );
    assert.equal(
      ingestUrl(stream, svc('ClusterIP', 1935), 'example.org', nodes),
      'rtmp://main-ingest.streams.svc.example.org:1935/live',
    );
  });

  test('a LoadBalancer with an address is reached there; before it has one, on a node port', () => {
    assert.equal(
      ingestUrl(
        stream,
        svc('LoadBalancer', 1935, 31000, [{ hostname: 'lb.example.org' }]),
        'cluster.local',
        nodes,
      ),
      'rtmp://lb.example.org:1935/live',
    );
    assert.equal(
      ingestUrl(stream, svc('LoadBalancer', 1935, 31000, []), 'cluster.local', nodes),
      'rtmp://198.18.0.1:31000/live',
    );
  });

  test('a NodePort is reached on the first ready node by name, its ExternalIP before its InternalIP', () => {
    const withExternal = [...nodes, node('c', [{ type: 'ExternalIP', address: '203.0.113.9' }])];
    assert.equal(
      ingestUrl(stream, svc('NodePort', 1935, 31935), 'cluster.local', withExternal),
      'rtmp://203.0.113.9:31935/live',
    );
    assert.equal(
      ingestUrl(stream, svc('NodePort', 1935, 31935), 'cluster.local', nodes),
      'rtmp://198.18.0.1:31935/live',
    );
  });

  test('playback: master playlist, DASH manifest when enabled, preview page; port 80 left out', () => {
    const dash = liveStream('main', (s) => (s.spec.output.dash.enabled = true));
    assert.deepEqual(playbackUrls(dash, undefined, 'cluster.local', []), {
      hlsUrl: 'http://main-playback.streams.svc.cluster.local/master.m3u8',
      dashUrl: 'http://main-playback.streams.svc.cluster.local/manifest.mpd',
      previewUrl: 'http://main-playback.streams.svc.cluster.local/',
    });
  });
});
