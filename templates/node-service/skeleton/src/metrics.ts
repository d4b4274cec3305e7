/**
 * Prometheus metrics. `http_requests_total{method,route,code}` and
 * `http_request_duration_seconds{method,route}` feed the SLOs in slo.yaml. The SLO latency
 * threshold is always one of the histogram's bucket boundaries, so the latency SLI is exact.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function latencyBuckets(thresholdSeconds: number, base: number[] = DEFAULT_BUCKETS): number[] {
  return [...new Set([...base, thresholdSeconds])].sort((a, b) => a - b);
}

export interface HttpMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'code'>;
  duration: Histogram<'method' | 'route'>;
}

export function createMetrics(latencyThresholdSeconds: number): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests handled, by method, route template and status code.',
    labelNames: ['method', 'route', 'code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method and route template.',
    labelNames: ['method', 'route'] as const,
    buckets: latencyBuckets(latencyThresholdSeconds),
    registers: [registry],
  });
  return { registry, requests, duration };
}
