// Control-plane processes: started detached (their own session, so they outlive `npm run cluster:up` and
// a Ctrl-C in the terminal reaches only the launcher, which then stops them in order), logging to a
// file, and stopped by pid with a bounded wait and SIGKILL after it. A recorded pid is signalled only
// when /proc still shows the same process (start time and command), because pids get reused.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { ClusterError } from './errors.js';

export interface ProcessRecord {
  name: string;
  pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22): with the pid, identifies the process. */
  startTime: number;
  /** argv[0], the binary's path. */
  exe: string;
  /** The arguments it was started with, so it can be restarted as it was (absent in older state files). */
  args?: string[];
}

interface ProcStat {
  state: string;
  startTime: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '?', startTime: Number(fields[19]) };
}

function readArgv0(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
  } catch {
    return undefined;
  }
}

export type ProcessState = 'running' | 'gone' | 'reused';

/** Whether the recorded process still runs; 'reused' when its pid now belongs to another program. */
export function processState(record: ProcessRecord): ProcessState {
  const stat = readStat(record.pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return 'gone';
  if (stat.startTime !== record.startTime || readArgv0(record.pid) !== record.exe) return 'reused';
  return 'running';
}

/** Whether a pid is alive at all (for lock files and owners, where only the pid is known). */
export function pidAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** Whether `pid` is still the process that had `startTime` (a pid alone may have been reused). */
export function sameProcessAlive(pid: number, startTime: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X' && stat.startTime === startTime;
}

export function ownStartTime(): number {
  return readStat(process.pid)?.startTime ?? 0;
}

export interface StartedProcess {
  record: ProcessRecord;
  /** Resolves with the exit code (or signal name) if the process ends while this launcher runs. */
  exited: Promise<string>;
}

export async function startProcess(
  name: string,
  exe: string,
  args: string[],
  logFile: string,
): Promise<StartedProcess> {
  const fd = openSync(logFile, 'a');
  let child;
  try {
    child = spawn(exe, args, { detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `exit code ${code}`)),
  );
  if (child.pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new ClusterError('LSO_CLUSTER_START_FAILED', `cannot start ${name} (${exe}): ${err.message}`, {
      cause: err,
    });
  }
  child.on('error', () => {}); // a later signal error is handled by the stop logic
  child.unref();
  const stat = readStat(child.pid);
  return { record: { name, pid: child.pid, startTime: stat?.startTime ?? 0, exe, args }, exited };
}

export type StopOutcome = 'stopped' | 'killed' | 'already gone' | 'not ours';

export interface StopOptions {
  /** How long to wait after SIGTERM before SIGKILL. */
  graceMs?: number;
}

const pollMs = 50;
const killWaitMs = 5_000;

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone in between: fine
  }
}

/** SIGTERM, wait for exit up to graceMs, then SIGKILL and wait again; never signals a reused pid. */
export async function stopProcess(record: ProcessRecord, options: StopOptions = {}): Promise<StopOutcome> {
  const first = processState(record);
  if (first === 'gone') return 'already gone';
  if (first === 'reused') return 'not ours';
  signal(record.pid, 'SIGTERM');
  if (await waitGone(record, options.graceMs ?? 10_000)) return 'stopped';
  signal(record.pid, 'SIGKILL');
  if (await waitGone(record, killWaitMs)) return 'killed';
  throw new ClusterError(
    'LSO_CLUSTER_START_FAILED',
    `${record.name} (pid ${record.pid}) survived SIGKILL for ${killWaitMs / 1000} s`,
  );
}

async function waitGone(record: ProcessRecord, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (processState(record) === 'running') {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return true;
}

/** The same as stopProcess, synchronously: for a process 'exit' handler, where nothing async runs. */
export function stopProcessSync(record: ProcessRecord, options: StopOptions = {}): StopOutcome {
  const first = processState(record);
  if (first === 'gone') return 'already gone';
  if (first === 'reused') return 'not ours';
  signal(record.pid, 'SIGTERM');
  if (waitGoneSync(record, options.graceMs ?? 10_000)) return 'stopped';
  signal(record.pid, 'SIGKILL');
  return waitGoneSync(record, killWaitMs) ? 'killed' : 'not ours';
}

function waitGoneSync(record: ProcessRecord, ms: number): boolean {
  const deadline = Date.now() + ms;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  while (processState(record) === 'running') {
    if (Date.now() >= deadline) return false;
    Atomics.wait(sleeper, 0, 0, pollMs);
  }
  return true;
}

/** The last lines of a component's log, for an error message. */
export function logTail(logFile: string, lines = 15): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
