// Runs the kubectl built with the cluster (v1.36; the machine's own kubectl may be years older and
// outside the supported version skew) against one kubeconfig. Never throws for a non-zero exit: the
// caller gets stdout, stderr and the code, and a timeout kills kubectl (code 124, as timeout(1) does).
import { spawn } from 'node:child_process';
import path from 'node:path';

export interface KubectlResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface KubectlOptions {
  input?: string;
  timeoutMs?: number;
}

export function runKubectl(
  binDir: string,
  kubeconfigPath: string,
  args: string[],
  options: KubectlOptions = {},
): Promise<KubectlResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve) => {
    const child = spawn(path.join(binDir, 'kubectl'), [`--kubeconfig=${kubeconfigPath}`, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, KUBECONFIG: kubeconfigPath },
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({
        stdout,
        stderr: `${stderr}cannot run ${path.join(binDir, 'kubectl')}: ${err.message}\n`,
        code: 127,
      });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut)
        resolve({
          stdout,
          stderr: `${stderr}kubectl ${args.join(' ')}: timed out after ${timeoutMs} ms\n`,
          code: 124,
        });
      else resolve({ stdout, stderr, code: code ?? 1 });
    });
    child.stdin.on('error', () => {}); // kubectl may exit before reading all input
    child.stdin.end(options.input ?? '');
  });
}
