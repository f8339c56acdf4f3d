// Kubernetes resource quantities ("4", "3500m", "16Gi", "1e3"): just enough of
// k8s.io/apimachinery/pkg/api/resource to validate a pool file and to subtract requests from allocatable.

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

/** The value of a quantity as a number (base units), or undefined when the text is not a quantity. */
export function parseQuantity(text: string): number | undefined {
  const m = quantityPattern.exec(text);
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[3] !== undefined) return base * 10 ** Number(m[3]);
  return base * (suffixes[m[2] ?? ''] ?? 1);
}
