// Evaluates an Argo CD health check with Debian's Lua 5.1 through gitops/argocd/health-harness.lua,
// which gives the script the global `obj` and only the libraries Argo CD opens for checks from
// argocd-cm. The resource travels as a Lua table constructor (Lua 5.1 has no JSON decoder).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../../tools/chart/generate.js';

export const harness = path.join(repoRoot, 'gitops/argocd/health-harness.lua');
export const LUA = process.env.LUA ?? 'lua5.1';

/** A JSON-like value as Lua source: objects become tables with string keys, arrays sequences, null nil. */
export function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot pass ${value} to Lua`);
    return String(value);
  }
  if (typeof value === 'string') return luaString(value);
  if (Array.isArray(value)) return `{ ${value.map(toLua).join(', ')} }`;
  if (value instanceof Date) return luaString(value.toISOString());
  const entries = Object.entries(value as Record<string, unknown>).filter(
    ([, v]) => v !== null && v !== undefined,
  );
  return `{ ${entries.map(([k, v]) => `[${luaString(k)}] = ${toLua(v)}`).join(', ')} }`;
}

function luaString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, 'utf8')) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${byte}`; // decimal escape: Lua 5.1 has no \x
  }
  return out + '"';
}

export interface HealthResult {
  status: string;
  message: string;
}

export function evaluateHealth(scriptPath: string, obj: unknown): HealthResult {
  const result = spawnSync(LUA, [harness, scriptPath], {
    input: toLua(obj),
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (result.error) {
    const hint =
      (result.error as NodeJS.ErrnoException).code === 'ENOENT' ? ' (install lua5.1: tools/setup.sh)' : '';
    throw new Error(`cannot run ${LUA}${hint}: ${result.error.message}`);
  }
  if (result.status !== 0) throw new Error(`${path.basename(scriptPath)} failed: ${result.stderr.trim()}`);
  const [status = '', ...rest] = result.stdout.replace(/\n$/, '').split('\n');
  return { status, message: rest.join('\n') };
}
