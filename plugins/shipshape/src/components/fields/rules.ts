/**
 * The wizard fields' rules as plain functions, with no React and no app APIs: the fields use them,
 * and templates/scripts/check-wizard-validation.mjs runs them on the templates' bad input.
 */
import type { CatalogApi } from '@backstage/plugin-catalog-react';
import {
  SHIPSHAPE_ANNOTATIONS,
  ShipshapePolicy,
  serviceNameFormatError,
  serviceNameQuery,
  serviceNameTakenError,
} from '@shipshape/plugin-shipshape-common';

// the rules themselves live in shipshape-common: the server's shipshape:service:check uses them too
export {
  costCenterError,
  serviceNameFormatError,
  SERVICE_NAME_KINDS,
} from '@shipshape/plugin-shipshape-common';

/**
 * Why `name` cannot be the new service's name: not a DNS-1123 label, or already in the catalog
 * (as far as the user may read it). Throws when the catalog cannot be asked.
 */
export async function serviceNameError(
  name: string,
  catalogApi: Pick<CatalogApi, 'getEntities'>,
): Promise<string | undefined> {
  const format = serviceNameFormatError(name);
  if (format) return format;
  const { items } = await catalogApi.getEntities(serviceNameQuery(name));
  return serviceNameTakenError(name, items);
}

/** One line for the field's help: what the policy asks of a cost center. */
export function costCenterRule(policy: ShipshapePolicy): string | undefined {
  const tag = policy.tags.find(
    t => t.name === SHIPSHAPE_ANNOTATIONS.costCenter.name,
  );
  if (!tag) return undefined;
  const parts = [];
  if (tag.pattern) parts.push(`matching ${tag.pattern}`);
  if (tag.allowed?.length) parts.push(`one of ${tag.allowed.join(', ')}`);
  return parts.length
    ? `The cost-center policy asks for a value ${parts.join(' and ')}`
    : undefined;
}
