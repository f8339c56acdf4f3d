// The origin on a real socket (127.0.0.1, a free port) over a folder laid out as ffmpeg writes it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Logger } from '../../../lib/log.js';
import { resolveFile, ruleFor, withFrameRates } from '../../../transcoder/origin/files.js';
import { Origin } from '../../../transcoder/origin/server.js';
import type { OutputLayout } from '../../../transcoder/ffmpeg/args.js';

const master = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-STREAM-INF:BANDWIDTH=985600,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"
360p/index.m3u8

#EXT-X-STREAM-INF:BANDWIDTH=400400,RESOLUTION=320x180,CODECS="avc1.64000c,mp4a.40.2"
180p/index.m3u8
`;

const layout: OutputLayout = {
  master: 'master.m3u8',
  manifest: null,
  renditions: [
    {
      name: '360p',
      playlist: '360p/index.m3u8',
      dir: '360p',
      segments: [/^seg_\d+\.m4s$/],
      frameRate: 25,
      targetBitsPerSecond: 896000,
    },
    {
      name: '180p',
      playlist: '180p/index.m3u8',
      dir: '180p',
      segments: [/^seg_\d+\.m4s$/],
      frameRate: 12.5,
      targetBitsPerSecond: 314000,
    },
  ],
};

describe('origin', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lso-origin-'));
  const out = path.join(dir, 'out');
  const requests: string[] = [];
  let origin: Origin;
  let base = '';

  before(async () => {
    mkdirSync(path.join(out, '360p'), { recursive: true });
    writeFileSync(path.join(out, 'master.m3u8'), master);
    writeFileSync(path.join(out, '360p', 'index.m3u8'), '#EXTM3U\n');
    writeFileSync(path.join(out, '360p', 'init_0.mp4'), Buffer.alloc(700));
    writeFileSync(path.join(out, '360p', 'seg_00007.m4s'), Buffer.alloc(1234));
    writeFileSync(path.join(out, '360p', 'seg_00008.m4s.tmp'), Buffer.alloc(10));
    writeFileSync(path.join(out, 'manifest.mpd'), '<MPD/>');
    writeFileSync(path.join(dir, 'secret.m3u8'), 'outside the output folder');
    origin = new Origin({
      host: '127.0.0.1',
      port: 0,
      directory: out,
      title: 'studio/<main>',
      dash: false,
      log: new Logger({}, { write: () => undefined }),
      layout: () => layout,
      onRequest: (kind, code) => requests.push(`${kind} ${code}`),
    });
    base = `http://127.0.0.1:${(await origin.listen()).port}`;
  });
  after(async () => {
    await origin.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: [string, string, number, string, string][] = [
    ['the master playlist', '/master.m3u8', 200, 'application/vnd.apple.mpegurl', 'public, max-age=1'],
    [
      'the master playlist under /hls/',
      '/hls/master.m3u8',
      200,
      'application/vnd.apple.mpegurl',
      'public, max-age=1',
    ],
    ['a media playlist', '/360p/index.m3u8', 200, 'application/vnd.apple.mpegurl', 'public, max-age=1'],
    [
      'an init segment (rewritten on restart: short cache)',
      '/360p/init_0.mp4',
      200,
      'video/mp4',
      'public, max-age=2',
    ],
    [
      'a media segment (never rewritten: immutable)',
      '/hls/360p/seg_00007.m4s',
      200,
      'video/iso.segment',
      'public, max-age=31536000, immutable',
    ],
    ['the DASH manifest', '/manifest.mpd', 200, 'application/dash+xml', 'public, max-age=1'],
    ['the preview page', '/', 200, 'text/html; charset=utf-8', 'no-cache'],
    ['hls.js', '/hls.min.js', 200, 'text/javascript; charset=utf-8', 'public, max-age=86400'],
  ];
  for (const [what, url, code, type, cache] of cases)
    test(`${what} is served with its content type, cache policy and CORS`, async () => {
      const res = await fetch(base + url);
      assert.equal(res.status, code);
      assert.equal(res.headers.get('content-type'), type);
      assert.equal(res.headers.get('cache-control'), cache);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      await res.arrayBuffer();
    });

  test('the master playlist gains FRAME-RATE for every variant', async () => {
    const text = await (await fetch(`${base}/master.m3u8`)).text();
    assert.match(
      text,
      /RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",FRAME-RATE=25.000\n360p\/index.m3u8/,
    );
    assert.match(text, /FRAME-RATE=12.500\n180p\/index.m3u8/);
  });

  test('HEAD answers the headers and length without a body', async () => {
    const res = await fetch(`${base}/360p/seg_00007.m4s`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), '1234');
    assert.equal((await res.arrayBuffer()).byteLength, 0);
  });

  test('a CORS preflight is answered; other methods are 405', async () => {
    const pre = await fetch(`${base}/master.m3u8`, { method: 'OPTIONS' });
    assert.equal(pre.status, 204);
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /GET/);
    const post = await fetch(`${base}/master.m3u8`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD, OPTIONS');
  });

  const missing: [string, string][] = [
    ['a rendition that does not exist', '/hls/none/index.m3u8'],
    ['a segment ffmpeg is still writing', '/360p/seg_00008.m4s.tmp'],
    ['a file type the origin does not serve', '/360p/notes.txt'],
    ['a path that climbs out of the folder', '/../secret.m3u8'],
    ['an encoded climb', '/%2e%2e/secret.m3u8'],
    ['a climb from inside a rendition', '/360p/..%2f..%2fsecret.m3u8'],
    ['an encoded NUL', '/master.m3u8%00'],
    ['a hidden file', '/.master.m3u8'],
  ];
  for (const [what, url] of missing)
    test(`${what} is a 404`, async () => {
      const res = await fetch(base + url);
      assert.equal(res.status, 404);
      assert.equal(await res.text(), 'not found\n');
    });

  test('the preview page escapes the stream name and loads hls.js and master.m3u8 from the origin', async () => {
    const html = await (await fetch(`${base}/`)).text();
    assert.match(html, /<title>studio\/&#60;main&#62; - livestream preview<\/title>/);
    assert.match(html, /<script src="hls.min.js"><\/script>/);
    assert.match(html, /hls.loadSource\('master.m3u8'\)/);
  });

  test('every request is counted by kind and code', () => {
    assert.ok(requests.includes('master 200'));
    assert.ok(requests.includes('segment 200'));
    assert.ok(requests.includes('other 404'));
    assert.ok(requests.includes('other 405'));
  });
});

describe('origin file rules', () => {
  test('paths resolve inside the folder only, at most one folder deep', () => {
    assert.equal(resolveFile('/out', '/360p/index.m3u8'), '/out/360p/index.m3u8');
    assert.equal(resolveFile('/out', '/hls/master.m3u8'), '/out/master.m3u8');
    assert.equal(resolveFile('/out', '/a/b/c.m4s'), undefined);
    assert.equal(resolveFile('/out', '/360p//x.m4s'), undefined);
    assert.equal(resolveFile('/out', '/%E0%A4%A'), undefined);
    assert.equal(resolveFile('/out', '/360p\\..\\x'), undefined);
  });

  test('only the kinds of file ffmpeg writes have a rule', () => {
    assert.equal(ruleFor('index.m3u8')?.kind, 'playlist');
    assert.equal(ruleFor('chunk-0-00001.m4s')?.cacheControl, 'public, max-age=2');
    assert.equal(ruleFor('init-0.m4s')?.kind, 'init');
    assert.equal(ruleFor('seg_00001.m4s.tmp'), undefined);
    assert.equal(ruleFor('app.js'), undefined);
  });

  test('FRAME-RATE is not added twice, nor to a variant the layout does not know', () => {
    const once = '#EXT-X-STREAM-INF:BANDWIDTH=1,FRAME-RATE=30.000\na.m3u8\n';
    assert.equal(withFrameRates(once, new Map([['a.m3u8', 25]])), once);
    const unknown = '#EXT-X-STREAM-INF:BANDWIDTH=1\nb.m3u8\n';
    assert.equal(withFrameRates(unknown, new Map([['a.m3u8', 25]])), unknown);
  });
});
