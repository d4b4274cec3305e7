/**
 * Payloads of the ownership and cost API, as the backend's openapi.yaml describes them (the
 * models generated from it, under the names the backend and the frontend use).
 */
import type {
  ClusterError as ApiClusterError,
  Contact as ApiContact,
  Cost as ApiCost,
  EnvironmentCost as ApiEnvironmentCost,
  LabelFinding as ApiLabelFinding,
  OwnershipSummary as ApiOwnershipSummary,
  OwnershipView as ApiOwnershipView,
  Prices as ApiPrices,
  SummaryRow as ApiSummaryRow,
} from './schema/openapi';

/**
 * Prices the estimate used: USD per requested core-hour and GiB-hour, hours per month.
 *
 * @public
 */
export type UnitPrices = ApiPrices;

/** @public */
export type ClusterReadError = ApiClusterError;

/**
 * A person or group to contact, from the catalog profile.
 *
 * @public
 */
export type OwnershipContact = ApiContact;

/** @public */
export type EnvironmentCost = ApiEnvironmentCost;

/**
 * The monthly cost, one of four answers told apart by `status` (`no-cluster` is never shown as
 * zero).
 *
 * @public
 */
export type CostView = ApiCost;

/**
 * A Kubernetes object of the service that lacks Shipshape labels or disagrees with the catalog.
 *
 * @public
 */
export type LabelFinding = ApiLabelFinding;

/** @public */
export type OwnershipView = ApiOwnershipView;

/** @public */
export type OwnershipSummaryRow = ApiSummaryRow;

/** @public */
export type OwnershipSummary = ApiOwnershipSummary;
