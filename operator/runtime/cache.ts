// An in-memory cache of one kind, filled by one or more informers (one per watched namespace), with
// named indexes (LiveStreams by profile, children by owner uid) and change handlers. Handlers get the
// old and new object; reconcilers never trust them beyond "something about this key changed".

export interface Meta {
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export type IndexFn<T> = (obj: T) => string[];

export interface Handlers<T> {
  add?(obj: T): void;
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T): void;
}

export function keyOf(obj: Meta): string {
  const { namespace, name } = obj.metadata;
  return namespace ? `${namespace}/${name}` : (name ?? '');
}

export class Cache<T extends Meta> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFn<T>>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private readonly handlers: Handlers<T>[] = [];

  constructor(readonly name: string) {}

  addIndex(name: string, fn: IndexFn<T>): this {
    this.indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indexes.set(name, index);
    for (const [key, obj] of this.items) for (const v of fn(obj)) addTo(index, v, key);
    return this;
  }

  on(handlers: Handlers<T>): void {
    this.handlers.push(handlers);
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  getIn(namespace: string | undefined, name: string): T | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  get size(): number {
    return this.items.size;
  }

  byIndex(index: string, value: string): T[] {
    const keys = this.indexes.get(index)?.get(value);
    if (!keys) return [];
    return [...keys].map((k) => this.items.get(k)).filter((o): o is T => o !== undefined);
  }

  /** Adds or replaces an object; fires add or update (update only when the resourceVersion moved). */
  upsert(obj: T): void {
    const key = keyOf(obj);
    const old = this.items.get(key);
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    for (const h of this.handlers) {
      if (old) h.update?.(old, obj);
      else h.add?.(obj);
    }
  }

  remove(key: string): void {
    const old = this.items.get(key);
    if (!old) return;
    this.items.delete(key);
    this.unindex(key, old);
    for (const h of this.handlers) h.delete?.(old);
  }

  /**
   * Replaces everything this cache holds in `namespace` (all namespaces when undefined) with a fresh
   * list: objects missing from it were deleted while nobody watched, and get their delete event.
   */
  replace(objs: T[], namespace?: string): void {
    const fresh = new Set(objs.map(keyOf));
    for (const [key, obj] of [...this.items]) {
      if (namespace !== undefined && obj.metadata.namespace !== namespace) continue;
      if (!fresh.has(key)) this.remove(key);
    }
    for (const obj of objs) this.upsert(obj);
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) for (const v of fn(obj)) addTo(this.indexes.get(name)!, v, key);
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indexes.get(name)!;
      for (const v of fn(obj)) {
        const set = index.get(v);
        set?.delete(key);
        if (set?.size === 0) index.delete(v);
      }
    }
  }
}

function addTo(index: Map<string, Set<string>>, value: string, key: string): void {
  let set = index.get(value);
  if (!set) index.set(value, (set = new Set()));
  set.add(key);
}
