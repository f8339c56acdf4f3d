// Runs the host tools the real node is made of (ip, iptables, ctr, buildah, ...) and turns a failure
// into an error that says which command failed and what it printed.
import { execFile } from 'node:child_process';

export interface RunResult {
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly command: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    const detail = stderr.trim().split('\n').slice(-5).join('\n');
    super(`\`${command.join(' ')}\` failed (exit ${exitCode ?? 'signal'})${detail ? `: ${detail}` : ''}`);
    this.name = 'CommandError';
  }
}

/** Runs a command to completion; rejects with CommandError on a non-zero exit. */
export function run(
  command: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  const [file, ...args] = command;
  if (!file) throw new Error('run: empty command');
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        env: options.env ?? process.env,
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (err) {
          const code = typeof err.code === 'number' ? err.code : null;
          reject(new CommandError(command, code, stderr || err.message));
        } else resolve({ stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Like run, but resolves false instead of rejecting (for probes and best-effort cleanup). */
export async function succeeds(
  command: readonly string[],
  options?: Parameters<typeof run>[1],
): Promise<boolean> {
  try {
    await run(command, options);
    return true;
  } catch {
    return false;
  }
}
