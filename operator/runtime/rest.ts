// A small REST client for the Kubernetes API on top of @kubernetes/client-node's KubeConfig (which
// resolves kubeconfig files, in-cluster service accounts, exec and token plugins). Requests are plain
// JSON over node:http(s): objects stay as the API server sent them (client-node's typed
// KubernetesObjectApi turns timestamps into Date objects and runs discovery per kind), and every
// request is counted for rest_client_requests_total.
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    deletionTimestamp?: string;
    creationTimestamp?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeList<T> {
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** An error answer of the API server (a metav1.Status), or a transport failure (code 0). */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(`${method} ${path}: ${code} ${reason}: ${message}`);
    this.name = 'ApiError';
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof ApiError && err.code === 404;
export const isConflict = (err: unknown): boolean => err instanceof ApiError && err.code === 409;
export const isGone = (err: unknown): boolean => err instanceof ApiError && err.code === 410;

export type RequestObserver = (method: string, code: string, host: string) => void;

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

export class KubeClient {
  readonly server: URL;
  private observers: RequestObserver[] = [];

  constructor(readonly kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  private agent: { key: string; agent: https.Agent } | undefined;

  /**
   * One keep-alive agent for every request. client-node builds a new https.Agent on each
   * applyToHTTPSOptions call: a TLS handshake per request and native memory that grows with the
   * request rate. The agent is rebuilt only when the TLS material changes (a rotated client cert).
   */
  private agentFor(opts: https.RequestOptions): https.Agent {
    const key = JSON.stringify(
      [opts.ca, opts.cert, opts.key, opts.pfx, opts.rejectUnauthorized, opts.servername].map(String),
    );
    if (this.agent?.key !== key) {
      this.agent?.agent.destroy();
      this.agent = {
        key,
        agent: new https.Agent({
          ca: opts.ca,
          cert: opts.cert,
          key: opts.key,
          pfx: opts.pfx,
          passphrase: opts.passphrase,
          servername: opts.servername,
          ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
          keepAlive: true,
          maxSockets: 32,
        }),
      };
    }
    return this.agent.agent;
  }

  /** Called after every request with its method, status code ("<error>" for transport failures) and host. */
  observe(observer: RequestObserver): void {
    this.observers.push(observer);
  }

  url(path: string, query: RequestOptions['query'] = {}): URL {
    const url = new URL(this.server.pathname.replace(/\/$/, '') + path, this.server);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = this.url(path, options.query);
    const opts: https.RequestOptions = { method, headers: { accept: 'application/json' } };
    await this.kubeConfig.applyToHTTPSOptions(opts);
    opts.agent = url.protocol === 'https:' ? this.agentFor(opts) : undefined;
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (body !== undefined) {
      opts.headers = {
        ...opts.headers,
        'content-type': options.contentType ?? 'application/json',
        'content-length': Buffer.byteLength(body),
      };
    }
    opts.timeout = options.timeoutMs ?? 30_000;
    let status: number;
    let text: string;
    try {
      ({ status, text } = await send(url, opts, body));
    } catch (err) {
      this.report(method, '<error>');
      throw new ApiError(0, 'TransportError', (err as Error).message, method, path);
    }
    this.report(method, String(status));
    if (status >= 200 && status < 300) return (text ? JSON.parse(text) : {}) as T;
    let reason = http.STATUS_CODES[status] ?? 'Error';
    let message = text.slice(0, 500);
    try {
      const s = JSON.parse(text) as { reason?: string; message?: string };
      reason = s.reason ?? reason;
      message = s.message ?? message;
    } catch {
      // not a Status object
    }
    throw new ApiError(status, reason, message, method, path);
  }

  get<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  /** Server-side apply (application/apply-patch+yaml accepts JSON) under one field manager, forced. */
  apply<T>(path: string, body: unknown, fieldManager: string): Promise<T> {
    return this.request<T>('PATCH', path, {
      body,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager, force: true },
    });
  }

  create<T>(path: string, body: unknown, fieldManager: string): Promise<T> {
    return this.request<T>('POST', path, { body, query: { fieldManager } });
  }

  replace<T>(path: string, body: unknown, fieldManager: string): Promise<T> {
    return this.request<T>('PUT', path, { body, query: { fieldManager } });
  }

  delete(path: string, body?: unknown): Promise<unknown> {
    return this.request('DELETE', path, { body });
  }

  private report(method: string, code: string): void {
    for (const o of this.observers) o(method, code, this.server.host);
  }
}

function send(
  url: URL,
  opts: https.RequestOptions,
  body: string | undefined,
): Promise<{ status: number; text: string }> {
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeout} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
