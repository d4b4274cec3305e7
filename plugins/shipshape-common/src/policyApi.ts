/**
 * Payloads of the ownership and cost API (plugins/shipshape-backend/src/schema/openapi.yaml),
 * shared by the backend and the frontend client.
 */
import type { PolicyReport } from './policy';

/**
 * Prices the estimate used: USD per requested core-hour and GiB-hour, hours per month.
 *
 * @public
 */
export interface UnitPrices {
  cpuCoreHourUsd: number;
  memoryGibHourUsd: number;
  hoursPerMonth: number;
}

/** @public */
export interface ClusterReadError {
  cluster: string;
  message: string;
}

/**
 * A person or group to contact, from the catalog profile.
 *
 * @public
 */
export interface OwnershipContact {
  ref: string;
  kind: string;
  displayName?: string;
  email?: string;
}

/** @public */
export interface EnvironmentCost {
  cluster: string;
  namespace: string;
  environment: string;
  pods: number;
  cpuCores: number;
  memoryGib: number;
  monthlyUsd: number;
}

/**
 * `no-cluster` is never shown as zero.
 *
 * @public
 */
export type CostView =
  | { status: 'no-cluster' }
  | { status: 'not-deployed'; message: string }
  | { status: 'error'; message: string }
  | {
      status: 'ok';
      currency: 'USD';
      monthlyUsd: number;
      prices: UnitPrices;
      environments: EnvironmentCost[];
      /** Clusters that could not be read; the figure leaves them out. */
      errors: ClusterReadError[];
    };

/**
 * A Kubernetes object of the service that lacks Shipshape labels or disagrees with the catalog.
 *
 * @public
 */
export interface LabelFinding {
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  missing: string[];
  mismatched: Array<{ label: string; expected: string; actual: string }>;
}

/** @public */
export interface OwnershipView {
  entityRef: string;
  owner?: OwnershipContact & { exists: boolean; parent?: OwnershipContact };
  tags: PolicyReport['tags'];
  violations: PolicyReport['violations'];
  cost: CostView;
  labels: {
    status: 'no-cluster' | 'not-deployed' | 'ok';
    objects: LabelFinding[];
  };
}

/** @public */
export interface OwnershipSummaryRow {
  /** Absent for entities without a valid cost center. */
  costCenter?: string;
  /** Absent for entities without a valid owner ref. */
  owner?: string;
  entities: number;
  violations: number;
  entitiesWithViolations: number;
  /** Absent when no cluster is configured. */
  monthlyUsd?: number;
}

/** @public */
export interface OwnershipSummary {
  totals: OwnershipSummaryRow;
  costCenters: { items: OwnershipSummaryRow[]; totalCount: number };
  owners: { items: OwnershipSummaryRow[]; totalCount: number };
  cost: {
    status: 'no-cluster' | 'ok' | 'error';
    errors?: ClusterReadError[];
    prices?: UnitPrices;
  };
  limit: number;
  offset: number;
}
