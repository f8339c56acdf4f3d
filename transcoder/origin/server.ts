// The HTTP origin in the transcoder pod (the playback Service points at it): the master playlist
// (with FRAME-RATE added), media playlists, init and media segments, the DASH manifest, and the
// preview page with hls.js. GET, HEAD and CORS preflight; everything else is 405.
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { Logger } from '../../lib/log.js';
import type { OutputLayout } from '../ffmpeg/args.js';
import { resolveFile, ruleFor, withFrameRates, type RequestKind } from './files.js';
import { previewPage } from './preview.js';

export interface OriginOptions {
  host: string;
  port: number;
  directory: string;
  title: string;
  dash: boolean;
  log: Logger;
  layout: () => OutputLayout | null;
  onRequest?: (kind: RequestKind, code: number) => void;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'access-control-allow-headers': 'Range, Origin, Accept',
  'access-control-expose-headers': 'Content-Length, Content-Type, Last-Modified, Date',
  'access-control-max-age': '86400',
};

/** hls.js from node_modules (present in the container image too). */
export function hlsJsPath(): string {
  return createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');
}

export class Origin {
  private readonly server: http.Server;
  private hlsJs: Buffer | undefined;

  constructor(private readonly options: OriginOptions) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5_000;
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
  }

  async listen(): Promise<AddressInfo> {
    this.hlsJs = await readFile(hlsJsPath());
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host || undefined, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  /** Stops accepting; requests in flight get a second, then players' keep-alive connections are cut. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), 1000);
    await closed;
    clearTimeout(timer);
  }

  private send(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    kind: RequestKind,
    code: number,
    headers: Record<string, string>,
    body: string | Buffer,
  ): void {
    const buffer = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(code, { ...CORS, ...headers, 'content-length': String(buffer.length) });
    res.end(req.method === 'HEAD' ? undefined : buffer);
    this.options.onRequest?.(kind, code);
  }

  private notFound(req: http.IncomingMessage, res: http.ServerResponse, kind: RequestKind): void {
    this.send(
      req,
      res,
      kind,
      404,
      { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' },
      'not found\n',
    );
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      await this.route(req, res);
    } catch (err) {
      this.options.log.error('origin request failed', { path: req.url, err });
      if (!res.headersSent)
        this.send(req, res, 'other', 500, { 'content-type': 'text/plain' }, 'internal error\n');
      else res.destroy();
    }
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS).end();
      return this.options.onRequest?.('other', 204);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return this.send(
        req,
        res,
        'other',
        405,
        { allow: 'GET, HEAD, OPTIONS', 'content-type': 'text/plain' },
        'method not allowed\n',
      );
    const pathname = (req.url ?? '/').split('?')[0]!;
    if (pathname === '/' || pathname === '/index.html' || pathname === '/hls/')
      return this.send(
        req,
        res,
        'preview',
        200,
        { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' },
        previewPage(this.options.title, this.options.dash),
      );
    if (pathname === '/hls.min.js' || pathname === '/hls/hls.min.js')
      return this.send(
        req,
        res,
        'player',
        200,
        { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=86400' },
        this.hlsJs!,
      );
    const file = resolveFile(this.options.directory, pathname);
    const rule = file ? ruleFor(file.slice(file.lastIndexOf('/') + 1)) : undefined;
    if (!file || !rule) return this.notFound(req, res, 'other');
    let body: Buffer;
    let modified: Date;
    try {
      [body, modified] = await Promise.all([readFile(file), stat(file).then((s) => s.mtime)]);
    } catch {
      return this.notFound(req, res, rule.kind);
    }
    const layout = this.options.layout();
    if (rule.kind === 'master' && layout) {
      const rates = new Map(layout.renditions.map((r) => [r.playlist, r.frameRate]));
      body = Buffer.from(withFrameRates(body.toString('utf8'), rates));
    }
    this.send(
      req,
      res,
      rule.kind,
      200,
      {
        'content-type': rule.contentType,
        'cache-control': rule.cacheControl,
        'last-modified': modified.toUTCString(),
      },
      body,
    );
  }
}
