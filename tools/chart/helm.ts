// helm for the chart's tests: the pinned binary from tools/build-helm.sh (built from Go modules once
// per version into ~/.cache/livestream-operator/bin/helm-<version>/), and small wrappers around
// `helm lint` and `helm template` that return the rendered objects.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { chartDir, repoRoot } from './generate.js';

const run = promisify(execFile);

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

let helmPath: Promise<string> | undefined;

/** The pinned helm binary; builds it the first time (about 2.5 minutes on 2 cores). */
export function helmBinary(): Promise<string> {
  helmPath ??= run(path.join(repoRoot, 'tools/build-helm.sh'), [], { maxBuffer: 16 << 20 }).then(
    ({ stdout }) => stdout.trim().split('\n').pop()!,
    (err: Error & { stderr?: string }) => {
      throw new Error(
        `tools/build-helm.sh failed: ${err.stderr?.trim().split('\n').slice(-3).join('\n') ?? err.message}`,
      );
    },
  );
  return helmPath;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

// helm template and lint are pure functions of their arguments (and the chart on disk): a test file
// that asks for the same rendering twice gets the first result.
const pure = new Map<string, Promise<HelmResult>>();

export function helm(args: string[]): Promise<HelmResult> {
  if (args[0] !== 'template' && args[0] !== 'lint') return runHelm(args);
  const key = JSON.stringify(args);
  let result = pure.get(key);
  if (!result) pure.set(key, (result = runHelm(args)));
  return result;
}

async function runHelm(args: string[]): Promise<HelmResult> {
  const bin = await helmBinary();
  try {
    const { stdout, stderr } = await run(bin, args, {
      maxBuffer: 64 << 20,
      env: {
        ...process.env,
        HELM_CACHE_HOME: path.join(repoRoot, '.cache/helm'),
        HELM_CONFIG_HOME: path.join(repoRoot, '.cache/helm-config'),
        HELM_DATA_HOME: path.join(repoRoot, '.cache/helm-data'),
      },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof e.code === 'number' ? e.code : 1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? String(err),
    };
  }
}

/** The documented values combinations: charts/livestream-operator/ci/*-values.yaml, plus the defaults (null). */
export function valuesCombinations(): { name: string; file: string | null }[] {
  const ciDir = path.join(chartDir, 'ci');
  const files = readdirSync(ciDir)
    .filter((f) => f.endsWith('-values.yaml'))
    .sort();
  return [
    { name: 'defaults', file: null },
    ...files.map((f) => ({ name: f.replace(/-values\.yaml$/, ''), file: path.join(ciDir, f) })),
  ];
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  valuesFile?: string | null;
  set?: string[];
}

function valuesArgs(options: RenderOptions): string[] {
  return [
    ...(options.valuesFile ? ['-f', options.valuesFile] : []),
    ...(options.set ?? []).flatMap((s) => ['--set', s]),
  ];
}

/** `helm template` output as text, or the error helm printed. */
export async function template(options: RenderOptions = {}, extra: string[] = []): Promise<HelmResult> {
  return helm([
    'template',
    options.release ?? 'livestream-operator',
    chartDir,
    '--namespace',
    options.namespace ?? 'livestream-system',
    ...valuesArgs(options),
    ...extra,
  ]);
}

/** The objects `helm template` renders; throws with helm's message when rendering fails. */
export async function render(options: RenderOptions = {}): Promise<K8sObject[]> {
  const result = await template(options);
  if (result.code !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return parseObjects(result.stdout);
}

export function parseObjects(text: string): K8sObject[] {
  return YAML.parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(`rendered YAML does not parse: ${d.errors[0]!.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

export async function lint(options: RenderOptions = {}): Promise<HelmResult> {
  return helm([
    'lint',
    '--strict',
    chartDir,
    '--namespace',
    options.namespace ?? 'livestream-system',
    ...valuesArgs(options),
  ]);
}

/**
 * The NOTES.txt helm prints for an install, rendered by `helm install --dry-run=client` (helm template
 * never renders NOTES). helm 3.22 still checks that the cluster is reachable on a client dry run, so
 * this needs a kubeconfig; nothing is installed.
 */
export async function notes(kubeconfig: string, options: RenderOptions = {}): Promise<string> {
  const result = await helm([
    '--kubeconfig',
    kubeconfig,
    'install',
    options.release ?? 'livestream-operator',
    chartDir,
    '--dry-run=client',
    // CRDs installed earlier (by kubectl, or another release) would stop even a dry run.
    '--take-ownership',
    '--namespace',
    options.namespace ?? 'livestream-system',
    ...valuesArgs(options),
  ]);
  if (result.code !== 0) throw new Error(`helm install --dry-run failed:\n${result.stderr}`);
  const start = result.stdout.indexOf('NOTES:\n');
  if (start < 0) throw new Error('helm install --dry-run printed no NOTES');
  return result.stdout.slice(start + 'NOTES:\n'.length);
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}
