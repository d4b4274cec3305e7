import {
  ApiHolder,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import type { CustomFieldValidator } from '@backstage/plugin-scaffolder-react';
import { ShipshapePolicy } from '@shipshape/plugin-shipshape-common';
import { ShipshapeClient, shipshapeApiRef } from '../../api';
import { costCenterError, serviceNameError } from './rules';

/**
 * Reads the effective policy from the Shipshape backend (GET /api/shipshape/policy) through the
 * app's Shipshape API, or, where the wizard fields are installed without the Shipshape plugin,
 * through a ShipshapeClient on the app's discovery and fetch APIs.
 */
export async function fetchPolicy(apis: ApiHolder): Promise<ShipshapePolicy> {
  const api = apis.get(shipshapeApiRef);
  if (api) return api.getPolicy();
  const discoveryApi = apis.get(discoveryApiRef);
  const fetchApi = apis.get(fetchApiRef);
  if (!discoveryApi || !fetchApi) {
    throw new Error('the app has no discovery or fetch API');
  }
  return new ShipshapeClient({ discoveryApi, fetchApi }).getPolicy();
}

/** What the field says when the backend does not answer: the value is not accepted unchecked. */
export function policyUnavailable(error: unknown): string {
  return `The cost-center policy could not be read from the Shipshape backend (${
    (error as Error)?.message ?? String(error)
  }), so this value cannot be checked; try again in a moment`;
}

/**
 * A field validator: nothing for an empty value (`required` in the template says so), else the
 * error `check` finds, if any.
 */
function fieldValidator(
  check: (value: string, apis: ApiHolder) => Promise<string | undefined>,
): CustomFieldValidator<string> {
  return async (value, validation, { apiHolder }) => {
    if (!value) return;
    const error = await check(value, apiHolder);
    if (error) validation.addError(error);
  };
}

/** Validation of the ShipshapeServiceName field: DNS-1123 label, not already in the catalog. */
export const serviceNameValidation = fieldValidator(async (value, apis) => {
  const catalogApi = apis.get(catalogApiRef);
  if (!catalogApi) {
    return 'The catalog cannot be asked whether this name is taken (no catalog API)';
  }
  try {
    return await serviceNameError(value, catalogApi);
  } catch (e) {
    return `The catalog could not be asked whether ${value} is taken (${
      (e as Error).message
    }); try again in a moment`;
  }
});

/** Validation of the ShipshapeCostCenter field: the policy the catalog module enforces. */
export const costCenterValidation = fieldValidator(async (value, apis) => {
  let policy: ShipshapePolicy;
  try {
    policy = await fetchPolicy(apis);
  } catch (e) {
    return policyUnavailable(e);
  }
  return costCenterError(policy, value);
});
