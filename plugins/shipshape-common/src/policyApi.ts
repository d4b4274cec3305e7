/**
 * Payloads of the ownership and cost API, as the backend's openapi.yaml describes them (the
 * models generated from it, under the names the backend and the frontend use).
 */
import type * as Api from './schema/openapi';

/**
 * Prices the estimate used: USD per requested core-hour and GiB-hour, hours per month.
 *
 * @public
 */
export type UnitPrices = Api.Prices;

/** @public */
export type ClusterReadError = Api.ClusterError;

/**
 * A person or group to contact, from the catalog profile.
 *
 * @public
 */
export type OwnershipContact = Api.Contact;

/** @public */
export type EnvironmentCost = Api.EnvironmentCost;

/**
 * The monthly cost, one of four answers told apart by `status` (`no-cluster` is never shown as
 * zero).
 *
 * @public
 */
export type CostView = Api.Cost;

/**
 * A Kubernetes object of the service that lacks Shipshape labels or disagrees with the catalog.
 *
 * @public
 */
export type LabelFinding = Api.LabelFinding;

/** @public */
export type OwnershipView = Api.OwnershipView;

/** @public */
export type OwnershipSummaryRow = Api.SummaryRow;

/** @public */
export type OwnershipSummary = Api.OwnershipSummary;
