// Real processes for the chart and monitoring tests: each started here is stopped by its pid (SIGTERM,
// then SIGKILL after a grace period); ports are free ones on 127.0.0.1.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../../tools/chart/generate.js';

/**
 * Why livestream-operator cannot run from this checkout, or undefined when it can: until the operator
 * lands, operator/main.ts is a placeholder whose help says so.
 */
export async function operatorMissing(): Promise<string | undefined> {
  const help = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'operator/main.ts'), '--help'],
    { cwd: repoRoot },
  ).then(
    (r) => r.stdout,
    (err: { stdout?: string }) => err.stdout ?? '',
  );
  return /not implemented yet/i.test(help) || !help.includes('--http-port')
    ? 'livestream-operator is not on this branch yet (operator/main.ts is a placeholder): wired, and runs once it lands'
    : undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until probe returns something other than undefined/false; fails with the last error. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${String(last)})` : ''}`,
      );
    await sleep(everyMs);
  }
}

export class Proc {
  readonly child: ChildProcess;
  readonly output: string[] = [];
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ) {
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.output.push(line);
      if (this.output.length > 2000) this.output.splice(0, this.output.length - 2000);
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running || this.child.pid === undefined) return;
    const pid = this.child.pid;
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => this.running && process.kill(pid, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  tail(n = 20): string {
    return `${this.name}:\n${this.output.slice(-n).join('\n')}`;
  }
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
