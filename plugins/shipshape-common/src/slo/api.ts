/**
 * Payloads of `GET /entities/:kind/:namespace/:name/slos` and `GET /slos/burning` (backend ->
 * SLO card and page), as the backend's openapi.yaml describes them (the generated models).
 */
import type {
  EntitySlos as ApiEntitySlos,
  SloAlert as ApiSloAlert,
  SloBurnRow as ApiSloBurnRow,
  SloBurning as ApiSloBurning,
  SloStatus as ApiSloStatus,
} from '../schema/openapi';

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
export type SloDataState = ApiSloStatus['state'];

/** @public */
export type SloAlert = ApiSloAlert;

/** @public */
export type SloStatus = ApiSloStatus;

/** @public */
export type EntitySlosResponse = ApiEntitySlos;

/**
 * One row of `GET /slos/burning`: an SLO of an entity the caller may read.
 *
 * @public
 */
export type SloBurnRow = ApiSloBurnRow;

/**
 * Payload of `GET /slos/burning`: SLOs by 1h burn rate, fastest first.
 *
 * @public
 */
export type SloBurningResponse = ApiSloBurning;
