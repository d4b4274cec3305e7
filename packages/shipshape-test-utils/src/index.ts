/**
 * Test helpers for the local stack (docs/stack.md): its description, its Kubernetes cluster,
 * its Prometheus (backfilled history, live exporter series), the golden path released with helm
 * and the golden-path chart's backup scripts run against it.
 *
 * @packageDocumentation
 */
export * from './stack';
export * from './cluster';
export * from './catalog';
export * from './chartBackup';
export * from './prometheus';
export * from './helm';
export * from './unconfigured';
