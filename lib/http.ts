// A minimal HTTP server for health, readiness, metrics and status endpoints (no framework: a handful
// of routes on node:http). Each program owns one and registers its routes at start.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './log.js';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void | Promise<void>;

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(text);
}

export function sendText(
  res: http.ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

/** A readiness check: returns undefined when ready, or the reason it is not. */
export type ReadinessCheck = () => string | undefined;

export class HttpServer {
  private readonly routes = new Map<string, Handler>();
  private readonly server: http.Server;

  constructor(private readonly options: { host: string; port: number; log: Logger }) {
    this.server = http.createServer((req, res) => void this.dispatch(req, res));
    this.server.keepAliveTimeout = 5_000;
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
  }

  route(method: string, path: string, handler: Handler): this {
    this.routes.set(`${method} ${path}`, handler);
    return this;
  }

  /** /healthz (the process answers), /readyz (every check passes) and /metrics (Prometheus text). */
  probes(registry: Registry, readiness: ReadinessCheck[] = []): this {
    this.route('GET', '/healthz', (_req, res) => sendText(res, 200, 'ok\n'));
    this.route('GET', '/readyz', (_req, res) => {
      const reasons = readiness.map((check) => check()).filter((r): r is string => r !== undefined);
      if (reasons.length === 0) sendText(res, 200, 'ok\n');
      else sendText(res, 503, reasons.join('\n') + '\n');
    });
    this.route('GET', '/metrics', async (_req, res) => {
      sendText(res, 200, await registry.metrics(), registry.contentType);
    });
    return this;
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    this.options.log.info('http server listening', { address: address.address, port: address.port });
    return address;
  }

  async close(): Promise<void> {
    this.server.closeIdleConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const handler = this.routes.get(`${method} ${url.pathname}`) ?? this.prefixRoute(method, url.pathname);
    if (!handler) return sendText(res, 404, 'not found\n');
    try {
      await handler(req, res, url);
    } catch (err) {
      this.options.log.error('http handler failed', { path: url.pathname, err });
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.destroy();
    }
  }

  /** Routes registered as "GET /prefix/*" match every path under the prefix. */
  private prefixRoute(method: string, path: string): Handler | undefined {
    for (const [key, handler] of this.routes) {
      if (!key.endsWith('/*')) continue;
      const [m, prefix] = key.slice(0, -1).split(' ') as [string, string];
      if (m === method && path.startsWith(prefix)) return handler;
    }
    return undefined;
  }
}
