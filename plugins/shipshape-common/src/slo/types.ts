import type { VectorSelector } from './promql';

/**
 * Rolling windows Shipshape accepts for an SLO, in seconds.
 *
 * @public
 */
export const SLO_WINDOWS = { '28d': 28 * 86400, '30d': 30 * 86400 } as const;
/** @public */
export type SloWindow = keyof typeof SLO_WINDOWS;

/**
 * A service level indicator: the share of good events among all events, from counters.
 *
 * @public
 */
export interface SloIndicator {
  /** `latency` when the good events are a histogram bucket (`le`), else `availability`. */
  kind: 'availability' | 'latency';
  /** Counter of good events, or `bad` (exactly one of the two is set). */
  good?: VectorSelector;
  bad?: VectorSelector;
  /** Counter of all events. */
  total: VectorSelector;
  /** For latency SLIs: the threshold in seconds (the bucket's `le`). */
  latencyThresholdSeconds?: number;
}

/**
 * One SLO, validated: everything a rule generator or the backend needs.
 *
 * @public
 */
export interface Slo {
  /** Lower-case name (a-z, 0-9, -), unique per entity; the `slo` label of the rules. */
  name: string;
  displayName?: string;
  description?: string;
  /** Share of good events required, strictly between 0 and 1 (0.999 for 99.9 %). */
  objective: number;
  window: SloWindow;
  indicator: SloIndicator;
  /** Where it was declared: `slo.yaml, document 2` or the annotation name. */
  source: string;
}

/**
 * A validation failure with where it happened.
 *
 * @public
 */
export interface SloError {
  /** File name or annotation. */
  source: string;
  /** 1-based index of the YAML document, when the source is a file. */
  document?: number;
  /** Field path inside the document, e.g. `spec.objectives[0].target`. */
  path?: string;
  message: string;
}

/** @public */
export function formatSloError(e: SloError): string {
  const where = [
    e.source,
    e.document !== undefined ? `document ${e.document}` : undefined,
    e.path,
  ]
    .filter(Boolean)
    .join(': ');
  return `${where}: ${e.message}`;
}

/**
 * Error budget (1 - objective), rounded so 1 - 0.999 prints as 0.001.
 *
 * @public
 */
export function errorBudget(objective: number): number {
  return Number((1 - objective).toPrecision(12));
}
