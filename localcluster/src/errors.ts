// Errors the local cluster raises on purpose: each names what happened and what to do next.
import { LivestreamError, type ErrorCode } from '../../lib/errors.js';

export class ClusterError extends LivestreamError {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ClusterError';
  }
}

/** An invalid node pool file; the message starts with the file and the field's path. */
export class PoolsError extends ClusterError {
  constructor(message: string) {
    super('LSO_CLUSTER_POOLS_INVALID', message);
    this.name = 'PoolsError';
  }
}
