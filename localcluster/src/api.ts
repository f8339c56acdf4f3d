// The few API calls the launcher makes (readiness, creating and listing Nodes), over node:https with
// the admin certificate. Not @kubernetes/client-node: importing it takes seconds of CPU (10 s of wall
// time on a loaded 2-core machine), which would be most of a cluster start.
import http from 'node:http';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface Tls {
  ca: string;
  cert: string;
  key: string;
}

export interface Response {
  status: number;
  body: string;
}

/** The admin user's TLS material, read from a cluster's data dir. */
export async function adminTls(dataDir: string): Promise<Tls> {
  const read = (name: string) => readFile(path.join(dataDir, 'pki', name), 'utf8');
  return { ca: await read('ca.crt'), cert: await read('admin.crt'), key: await read('admin.key') };
}

function collect(req: http.ClientRequest, timeoutMs: number, body?: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.end(body);
  });
}

/** A plain-HTTP GET (etcd's /health on loopback). */
export function httpGet(url: string, timeoutMs = 2_000): Promise<Response> {
  return collect(http.request(url, { agent: false }), timeoutMs);
}

export class AdminApi {
  private readonly agent: https.Agent;

  constructor(
    readonly server: string,
    tls: Tls,
  ) {
    this.agent = new https.Agent({ ...tls, keepAlive: true, maxSockets: 16 });
  }

  request(method: string, pathname: string, body?: unknown, timeoutMs = 10_000): Promise<Response> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(new URL(pathname, this.server), {
      method,
      agent: this.agent,
      headers: { accept: 'application/json', ...(text ? { 'content-type': 'application/json' } : {}) },
    });
    return collect(req, timeoutMs, text);
  }

  /** The parsed JSON of a 2xx answer; otherwise an error with the status and the API's message. */
  async json<T>(method: string, pathname: string, body?: unknown): Promise<T> {
    const res = await this.request(method, pathname, body);
    if (res.status < 200 || res.status > 299) {
      let message = res.body.trim().slice(0, 300);
      try {
        message = (JSON.parse(res.body) as { message?: string }).message ?? message;
      } catch {
        // not JSON: keep the text
      }
      throw new Error(`${method} ${pathname}: ${res.status} ${message}`);
    }
    return JSON.parse(res.body) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}
