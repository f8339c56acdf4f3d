// One registry of coded errors for every program in this project (the fastify/undici pattern):
// each error has a stable `code` a user can search for, a `name`, and the `cause` passed on.
// docs/errors.md documents every code; test/unit/lib/errors.test.ts fails when one is missing.

export class LivestreamError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LivestreamError';
    this.code = code;
  }
}

/** A usage or configuration error: the process exits with status 2 and prints only the message. */
export class ConfigError extends LivestreamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.CONFIG_INVALID, message, options);
    this.name = 'ConfigError';
  }
}

/**
 * Every error code, with the one-line meaning shown in docs/errors.md. Add new codes here (and to
 * the doc); never reuse or rename one that has shipped.
 */
export const errorCatalog = {
  LSO_CONFIG_INVALID: 'A flag, environment variable or configuration file has a value that is not allowed.',
  LSO_CLUSTER_POOLS_INVALID: "The local cluster's node pool file is not valid.",
  LSO_CLUSTER_BINARIES_MISSING:
    "The local control plane's binaries are missing and cannot be built (no Go toolchain, or KUBEBUILDER_ASSETS is incomplete).",
  LSO_CLUSTER_BUILD_FAILED: "Building the local control plane's binaries from the Go modules failed.",
  LSO_CLUSTER_PORT_BUSY: 'A port the local cluster was asked to use is already taken.',
  LSO_CLUSTER_START_FAILED: 'A local cluster component exited or did not become ready in time.',
  LSO_CLUSTER_BROKEN: 'The local cluster recorded in .cluster/ is partly running or not answering.',
  LSO_CLUSTER_BUSY: 'Another process is starting or stopping the local cluster right now.',
  LSO_REALNODE_UNSUPPORTED:
    'This machine cannot run a real node (the message lists every reason and its fix).',
  LSO_REALNODE_BUSY: 'Another real node runs on this machine (one per machine).',
  LSO_REALNODE_START_FAILED: 'A real node component exited or did not become ready in time.',
  LSO_INGEST_LISTEN_FAILED: 'The ingest could not listen on one of its ports (RTMP, RTMPS or admin).',
  LSO_INGEST_TLS_INVALID: 'The ingest could not use the RTMPS certificate or private key it was given.',
} as const;

export type ErrorCode = keyof typeof errorCatalog;
export const ErrorCodes = Object.fromEntries(
  Object.keys(errorCatalog).map((code) => [code.replace(/^LSO_/, ''), code]),
) as { [K in ErrorCode as K extends `LSO_${infer Short}` ? Short : never]: K };
