// A real node for the local cluster (kubelet + containerd + kube-proxy + CoreDNS on this machine):
// what the launcher, the tests and `npm run demo` use. docs/real-node.md.
import { LivestreamError } from '../../../lib/errors.js';
import { startRealNode, type RealNode, type RealNodeOptions } from './node.js';
import { realNodeSupport } from './support.js';

export { reapAbandonedRealNode, startRealNode, stopRealNode } from './node.js';
export type { RealNode, RealNodeOptions, StopReport } from './node.js';
export { realNodeSupport, type Support } from './support.js';
export { realNodeLabel, realNodeTaint } from './plan.js';

export type DemoRealNode = { node: RealNode } | { node: undefined; reason: string };

/**
 * For `npm run demo`: starts a real node when this machine can run one, and otherwise says exactly
 * why not (every missing piece, or the error of a start that failed; nothing is left behind).
 */
export async function tryRealNode(options: RealNodeOptions): Promise<DemoRealNode> {
  const support = await realNodeSupport();
  if (!support.ok) return { node: undefined, reason: support.reasons.join('; ') };
  try {
    return { node: await startRealNode(options) };
  } catch (err) {
    const code = err instanceof LivestreamError ? ` [${err.code}]` : '';
    return { node: undefined, reason: `${err instanceof Error ? err.message : String(err)}${code}` };
  }
}
