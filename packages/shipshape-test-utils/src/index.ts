/**
 * Test helpers for the local stack (docs/stack.md): its description and its Kubernetes cluster.
 *
 * @packageDocumentation
 */
export * from './stack';
export * from './cluster';
export * from './catalog';
