// Small edits to parsed manifests by path, so each invalid case reads as the one change it makes:
// `spec.renditions[0].width`, `spec.placement.nodeSelector["topology.kubernetes.io/zone"]`.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function parsePath(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  const pattern = /([^.[\]]+)|\[(\d+)\]|\["([^"]+)"\]/g;
  let consumed = 0;
  for (const match of path.matchAll(pattern)) {
    const gap = path.slice(consumed, match.index);
    if (gap !== '' && gap !== '.') throw new Error(`bad path ${path}`);
    consumed = match.index + match[0].length;
    segments.push(match[1] ?? (match[2] !== undefined ? Number(match[2]) : match[3]!));
  }
  if (consumed !== path.length || segments.length === 0) throw new Error(`bad path ${path}`);
  return segments;
}

type Container = Record<string | number, Json>;

function parentOf(root: Json, segments: (string | number)[], create: boolean): Container {
  let node = root as Container;
  for (let i = 0; i < segments.length - 1; i++) {
    const key = segments[i]!;
    if (node[key] === undefined || node[key] === null) {
      if (!create) throw new Error(`no ${segments.slice(0, i + 1).join('.')} to change`);
      node[key] = typeof segments[i + 1] === 'number' ? [] : {};
    }
    node = node[key] as Container;
  }
  return node;
}

/** Sets the value at `path`, creating objects on the way. */
export function setPath(root: Json, path: string, value: Json): void {
  const segments = parsePath(path);
  parentOf(root, segments, true)[segments.at(-1)!] = structuredClone(value);
}

/** Removes the value at `path`; the path must exist, so a typo in a case cannot pass silently. */
export function unsetPath(root: Json, path: string): void {
  const segments = parsePath(path);
  const parent = parentOf(root, segments, false);
  const last = segments.at(-1)!;
  if (parent[last] === undefined) throw new Error(`no ${path} to remove`);
  if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
  else delete parent[last];
}

export interface Edit {
  set?: Record<string, Json>;
  unset?: string[];
}

export function applyEdit(manifest: Json, edit: Edit): Json {
  const copy = structuredClone(manifest);
  for (const path of edit.unset ?? []) unsetPath(copy, path);
  for (const [path, value] of Object.entries(edit.set ?? {})) setPath(copy, path, value);
  return copy;
}
