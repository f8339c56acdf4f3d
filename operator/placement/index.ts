// Placement: where a LiveStream's transcoder runs (pure decision, table-tested), and what one
// stream of a profile requests on each accelerator.
export type {
  NodeView,
  NotPlaced,
  Placed,
  PlacementInput,
  PlacementPolicy,
  PlacementResult,
  TranscoderPodPlacement,
} from './types.js';
export { decidePlacement } from './decide.js';
export {
  DEFAULT_POLICY,
  NVENC_PRODUCTS,
  VCN_PRODUCTS,
  productAllowed,
  withDefaultLists,
} from './products.js';
export { estimateResources, podSize } from './resources.js';
export { formatCpu, formatMemory, quantity } from './quantity.js';
export { encoderFor } from './vendors.js';
export { toNodeView, podRequests } from './view.js';
