// Kubernetes resource quantities ("4", "3500m", "16Gi", "1e3"), just enough to subtract requests
// from allocatable and to write requests back. Same grammar as localcluster/src/quantity.ts.

const suffixes: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const quantityPattern = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

/** The value in base units (cores, bytes, devices); 0 for an absent or unreadable quantity. */
export function quantity(text: string | undefined): number {
  if (text === undefined) return 0;
  const m = quantityPattern.exec(text.trim());
  if (!m) return 0;
  const base = Number(m[1]);
  if (m[3] !== undefined) return base * 10 ** Number(m[3]);
  return base * (suffixes[m[2] ?? ''] ?? 1);
}

/** What is left of a resource on a node: allocatable minus requested (never below 0). */
export function free(
  node: { allocatable: Record<string, string>; requested: Record<string, string> },
  resource: string,
): number {
  return Math.max(0, quantity(node.allocatable[resource]) - quantity(node.requested[resource]));
}

/** Cores as millicores, e.g. 1.25 -> "1250m". */
export function formatCpu(cores: number): string {
  return `${Math.round(cores * 1000)}m`;
}

/** Bytes as mebibytes, e.g. "768Mi". */
export function formatMemory(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)}Mi`;
}

/** A device count the way messages show it: "3" or "1.5". */
export function formatCount(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
