// Quantities as placement uses them: absent or unreadable counts as 0, and requests are written back
// as millicores and mebibytes. The grammar is lib/quantity.ts.
import { parseQuantity } from '../../lib/quantity.js';

/** The value in base units (cores, bytes, devices); 0 for an absent or unreadable quantity. */
export function quantity(text: string | undefined): number {
  return text === undefined ? 0 : (parseQuantity(text.trim()) ?? 0);
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
