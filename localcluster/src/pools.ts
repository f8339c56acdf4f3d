// Simulated node pools as data: a YAML file lists pools (name, count, capacity, allocatable, labels,
// taints); this module validates it with errors that name the field, and renders the Node objects
// that kwok then keeps Ready. Pure: no I/O except loadPools.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { PoolsError } from './errors.js';
import { poolsDir } from './paths.js';
import { parseQuantity } from '../../lib/quantity.js';

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

export interface NodePool {
  name: string;
  count: number;
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  labels: Record<string, string>;
  taints: Taint[];
}

/** The annotation kwok is started with (--manage-nodes-with-annotation-selector): only these are simulated. */
export const kwokNodeAnnotation = 'kwok.x-k8s.io/node';
/** Label naming the pool a node came from (also the selector a real node never carries). */
export const poolLabel = 'livestream-operator.io/pool';
const reservedLabels = new Set(['kubernetes.io/hostname', poolLabel]);
const effects: readonly TaintEffect[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const requiredResources = ['cpu', 'memory', 'pods'];
const maxNodes = 5000;

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const qualifiedNamePart = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const labelValuePattern = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Why `name` is not a Kubernetes qualified name (label key, taint key, resource name), or undefined. */
export function qualifiedNameProblem(name: string): string | undefined {
  const parts = name.split('/');
  if (parts.length > 2) return 'has more than one "/"';
  const [prefix, local] = parts.length === 2 ? (parts as [string, string]) : [undefined, parts[0] ?? ''];
  if (prefix !== undefined && (prefix.length > 253 || !dns1123Subdomain.test(prefix)))
    return `prefix "${prefix}" is not a DNS subdomain (lower-case letters, digits, "-" and ".")`;
  if (local.length === 0 || local.length > 63) return 'name part must be 1-63 characters';
  if (!qualifiedNamePart.test(local))
    return 'name part must start and end with a letter or digit and contain only letters, digits, "-", "_" and "."';
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return 'must be at most 63 characters';
  if (!labelValuePattern.test(value))
    return 'must be empty or start and end with a letter or digit, with only letters, digits, "-", "_" and "." between';
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Checker {
  constructor(private readonly source: string) {}

  fail(field: string, problem: string): never {
    throw new PoolsError(`${this.source}: ${field}: ${problem}`);
  }

  mapping(value: unknown, field: string, allowed?: readonly string[]): Record<string, unknown> {
    if (!isMapping(value)) this.fail(field, `must be a mapping, not ${describe(value)}`);
    if (allowed) {
      for (const key of Object.keys(value)) {
        if (!allowed.includes(key))
          this.fail(`${field}.${key}`, `unknown field; allowed fields are ${allowed.join(', ')}`);
      }
    }
    return value;
  }

  /** Scalars become strings (YAML reads `4` as a number, Kubernetes wants "4"). */
  text(value: unknown, field: string): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return this.fail(field, `must be a string, not ${describe(value)}`);
  }
}

const poolFields = ['name', 'count', 'capacity', 'allocatable', 'labels', 'taints'] as const;

/** Parses and validates a pool file's text. `source` names the file in error messages. */
export function parsePools(text: string, source: string): NodePool[] {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) throw new PoolsError(`${source}: not valid YAML: ${doc.errors[0]?.message}`);
  const check: Checker = new Checker(source);
  const root = check.mapping(doc.toJS() ?? {}, '(top level)', ['pools']);
  const list = root.pools;
  if (!Array.isArray(list) || list.length === 0)
    check.fail(
      'pools',
      'must be a non-empty list of pools (name, count, capacity, allocatable, labels, taints)',
    );
  const pools = list.map((entry, i) => parsePool(check, entry, `pools[${i}]`));
  const seen = new Set<string>();
  pools.forEach((pool, i) => {
    if (seen.has(pool.name))
      check.fail(`pools[${i}].name`, `"${pool.name}" is used by another pool; names must be unique`);
    seen.add(pool.name);
  });
  const total = pools.reduce((sum, p) => sum + p.count, 0);
  if (total === 0) check.fail('pools', 'every pool has count 0; the cluster needs at least one node');
  if (total > maxNodes) check.fail('pools', `${total} nodes in all; at most ${maxNodes} are allowed`);
  return pools;
}

function parsePool(check: Checker, entry: unknown, at: string): NodePool {
  const raw = check.mapping(entry, at, poolFields);
  const name = check.text(raw.name, `${at}.name`);
  if (name.length > 50 || !dns1123Label.test(name))
    check.fail(
      `${at}.name`,
      `"${name}" must be 1-50 lower-case letters, digits or "-", starting and ending with a letter or digit (nodes are named <pool>-<n>)`,
    );
  const count = raw.count ?? 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > maxNodes)
    check.fail(`${at}.count`, `must be a whole number from 0 to ${maxNodes}, not ${describe(count)}`);

  const capacity = resources(check, raw.capacity, `${at}.capacity`);
  for (const r of requiredResources)
    if (!(r in capacity))
      check.fail(`${at}.capacity.${r}`, `is required (capacity needs ${requiredResources.join(', ')})`);
  const allocatable =
    raw.allocatable === undefined ? { ...capacity } : resources(check, raw.allocatable, `${at}.allocatable`);
  for (const [resource, value] of Object.entries(allocatable)) {
    const field = `${at}.allocatable["${resource}"]`;
    if (!(resource in capacity))
      check.fail(field, `has no matching capacity["${resource}"]; list every resource in capacity too`);
    if (parseQuantity(value)! > parseQuantity(capacity[resource]!)!)
      check.fail(
        field,
        `${value} is more than capacity ${capacity[resource]}; allocatable is capacity minus what the system reserves`,
      );
  }
  for (const resource of Object.keys(capacity))
    if (!(resource in allocatable))
      check.fail(
        `${at}.allocatable["${resource}"]`,
        'is missing; the scheduler only counts allocatable, so list every resource of capacity',
      );

  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(check.mapping(raw.labels ?? {}, `${at}.labels`))) {
    const field = `${at}.labels["${key}"]`;
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) check.fail(field, `label key ${keyProblem}`);
    if (reservedLabels.has(key)) check.fail(field, 'is set by the launcher for every node; remove it');
    const text = check.text(value, field);
    const valueProblem = labelValueProblem(text);
    if (valueProblem) check.fail(field, `value "${text}" ${valueProblem}`);
    labels[key] = text;
  }

  const rawTaints = raw.taints ?? [];
  if (!Array.isArray(rawTaints)) check.fail(`${at}.taints`, `must be a list, not ${describe(rawTaints)}`);
  const taints = rawTaints.map((t, i) => parseTaint(check, t, `${at}.taints[${i}]`));
  return { name, count, capacity, allocatable, labels, taints };
}

function resources(check: Checker, value: unknown, at: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [resource, raw] of Object.entries(check.mapping(value, at))) {
    const field = `${at}["${resource}"]`;
    const problem = qualifiedNameProblem(resource);
    if (problem) check.fail(field, `resource name ${problem}`);
    const text = check.text(raw, field);
    const amount = parseQuantity(text);
    if (amount === undefined)
      check.fail(field, `"${text}" is not a Kubernetes quantity (examples: 4, 3500m, 16Gi)`);
    if (amount < 0) check.fail(field, `${text} is negative`);
    // Extended resources (vendor-prefixed, such as nvidia.com/gpu) are counted in whole devices.
    if (resource.includes('/') && !resource.startsWith('kubernetes.io/') && !Number.isInteger(amount))
      check.fail(field, `${text}: extended resources must be whole numbers`);
    out[resource] = text;
  }
  return out;
}

function parseTaint(check: Checker, value: unknown, at: string): Taint {
  const raw = check.mapping(value, at, ['key', 'value', 'effect']);
  const key = check.text(raw.key, `${at}.key`);
  const keyProblem = qualifiedNameProblem(key);
  if (keyProblem) check.fail(`${at}.key`, `"${key}" ${keyProblem}`);
  const effect = check.text(raw.effect, `${at}.effect`);
  if (!effects.includes(effect as TaintEffect))
    check.fail(`${at}.effect`, `"${effect}" is not one of ${effects.join(', ')}`);
  const taint: Taint = { key, effect: effect as TaintEffect };
  if (raw.value !== undefined) {
    const text = check.text(raw.value, `${at}.value`);
    const problem = labelValueProblem(text);
    if (problem) check.fail(`${at}.value`, `"${text}" ${problem}`);
    taint.value = text;
  }
  return taint;
}

/** A pool file by name ("default" is localcluster/pools/default.yaml) or by path (anything with "/" or ".yaml"). */
export function resolvePoolsPath(nameOrPath: string): string {
  if (nameOrPath.includes('/') || /\.ya?ml$/.test(nameOrPath)) return path.resolve(nameOrPath);
  if (!dns1123Label.test(nameOrPath))
    throw new PoolsError(
      `pools "${nameOrPath}": not a pool file name (such as default or bench-200) nor a path to a .yaml file`,
    );
  return path.join(poolsDir, `${nameOrPath}.yaml`);
}

export async function loadPools(nameOrPath: string): Promise<{ path: string; pools: NodePool[] }> {
  const file = resolvePoolsPath(nameOrPath);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new PoolsError(
      `pools file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}); ` +
        `name one in ${poolsDir} (such as default) or give a path to a YAML file`,
    );
  }
  return { path: file, pools: parsePools(text, file) };
}

export interface NodeObject {
  apiVersion: 'v1';
  kind: 'Node';
  metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: { taints?: Taint[] };
  status: { capacity: Record<string, string>; allocatable: Record<string, string> };
}

/** The Node objects for the pools: `<pool>-<n>`, annotated for kwok, with status as a real node reports it. */
export function renderNodes(pools: NodePool[]): NodeObject[] {
  return pools.flatMap((pool) =>
    Array.from({ length: pool.count }, (_, i) => {
      const name = `${pool.name}-${i}`;
      const node: NodeObject = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          labels: {
            'kubernetes.io/arch': 'amd64',
            'kubernetes.io/os': 'linux',
            type: 'kwok',
            ...pool.labels,
            'kubernetes.io/hostname': name,
            [poolLabel]: pool.name,
          },
          annotations: { [kwokNodeAnnotation]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        },
        spec: pool.taints.length > 0 ? { taints: pool.taints.map((t) => ({ ...t })) } : {},
        status: { capacity: { ...pool.capacity }, allocatable: { ...pool.allocatable } },
      };
      return node;
    }),
  );
}
