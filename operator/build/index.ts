// The desired children of a LiveStream: pure builders (golden- and table-tested).
export type { BuildContext } from './context.js';
export { desiredChildren } from './children.js';
export { streamKeySecret, playTokenSecret } from './secrets.js';
export { childLabels, selectorLabels, STREAM_LABEL, type Component } from './labels.js';
export { names, ports, paths, keys } from './names.js';
export { transcoderConfig, renderConfig, configHash, outputSizeLimit } from './config.js';
export { ingestService, ingestInternalService, playbackService, serviceHost } from './services.js';
export { ingestDeployment } from './ingest.js';
export { transcoderDeployment, CONFIG_HASH_ANNOTATION } from './transcoder.js';
