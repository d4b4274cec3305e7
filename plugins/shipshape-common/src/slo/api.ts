/** Payload of `GET /entities/:kind/:namespace/:name/slos` (backend -> SLO card). */

/**
 * Burn-rate windows shown on the card.
 *
 * @public
 */
export const SLO_BURN_WINDOWS = ['5m', '1h', '6h', '3d'] as const;
/** @public */
export type SloBurnWindow = (typeof SLO_BURN_WINDOWS)[number];

/**
 * `stale`: Prometheus failed and these are its last good numbers; `error`: none at all.
 *
 * @public
 */
export type SloDataState = 'ok' | 'stale' | 'error';

/** @public */
export interface SloAlert {
  name: string;
  state: 'firing' | 'pending';
  severity?: string;
  /** When the alert became pending (ISO time). */
  activeAt?: string;
  summary?: string;
  /** The SLO it belongs to, when it carries the entity's service and an slo label. */
  slo?: string;
  labels: Record<string, string>;
  /** Ids of active Alertmanager silences that match it. */
  silencedBy?: string[];
}

/** @public */
export interface SloStatus {
  name: string;
  displayName?: string;
  description?: string;
  /** Where it was declared (file and document, or annotation). */
  source: string;
  kind: 'availability' | 'latency';
  latencyThresholdSeconds?: number;
  /** Share of good events required (0.999). */
  objective: number;
  window: string;
  state: SloDataState;
  /** Time of Prometheus' evaluation (ISO). */
  asOf?: string;
  error?: string;
  /** Share of good events over the window; null without traffic or data. */
  sli: number | null;
  /** 1 - (error ratio over the window / error budget); negative when overspent. */
  errorBudgetRemaining: number | null;
  /** Error ratio over each window divided by the error budget. */
  burnRates: Record<SloBurnWindow, number | null>;
  /** Budget remaining at the end of each day of the window (burn-down), oldest first; t in unix seconds. */
  history: { t: number; remaining: number | null }[];
  alerts: SloAlert[];
  /** Prometheus graph of the error ratio over the window. */
  link: string;
  /** Grafana Explore of the same, when the instance has `grafana` configured. */
  grafanaLink?: string;
}

/** @public */
export interface EntitySlosResponse {
  entityRef: string;
  /** Value of the `service` label (kubernetes-id, else the entity name). */
  service: string;
  /** Whether the entity declares SLOs (shipshape.dev/slo or shipshape.dev/slo-ref). */
  declared: boolean;
  prometheus: { instance: string; url: string };
  /** The Alertmanager whose silences are shown (its public URL), when configured. */
  alertmanager?: { url: string };
  state: SloDataState;
  /** Precise problems with the SLO declarations (file, document, field). */
  errors: string[];
  slos: SloStatus[];
  /** Every firing or pending alert of the entity (service label or prometheus.io/alert). */
  alerts: SloAlert[];
  alertsState: SloDataState;
  alertsError?: string;
  silences?: {
    id: string;
    comment: string;
    createdBy: string;
    endsAt: string;
  }[];
  evaluatedAt: string;
}

/**
 * One row of `GET /slos/burning`: an SLO of an entity the caller may read.
 *
 * @public
 */
export interface SloBurnRow {
  entityRef: string;
  slo: string;
  displayName?: string;
  objective: number;
  window: string;
  state: SloDataState;
  error?: string;
  errorBudgetRemaining: number | null;
  burnRates: Record<SloBurnWindow, number | null>;
}

/**
 * Payload of `GET /slos/burning`: SLOs by 1h burn rate, fastest first.
 *
 * @public
 */
export interface SloBurningResponse {
  rows: SloBurnRow[];
  /** Entities with SLO annotations that were looked at (at most `limit` of them). */
  entities: number;
  /** True when more entities declare SLOs than were looked at. */
  truncated: boolean;
  /** Entities whose SLOs could not be read or whose instance is unknown. */
  errors: { entityRef: string; error: string }[];
  evaluatedAt: string;
}
