// The livestream-operator.io/v1alpha1 API for TypeScript: the generated types and constants, and
// the few documented values that depend on other fields.

export * from './types.js';
export * from './resolve.js';
