import {
  ApiHolder,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import { CatalogApi, catalogApiRef } from '@backstage/plugin-catalog-react';
import type { CustomFieldValidator } from '@backstage/plugin-scaffolder-react';
import {
  checkEntityPolicy,
  SHIPSHAPE_ANNOTATIONS,
  ShipshapePolicy,
} from '@shipshape/plugin-shipshape-common';

/** A Kubernetes DNS-1123 label that starts with a letter: what the template's name becomes. */
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Kinds whose names a new service would collide with (entity, Helm release, image, kubernetes-id). */
export const SERVICE_NAME_KINDS = ['Component', 'API', 'Resource', 'System'];

/** Why `name` is not a DNS-1123 label, or undefined when it is one. */
export function serviceNameFormatError(name: string): string | undefined {
  if (name.length > 63) {
    return `${name.length} characters; a DNS-1123 label has at most 63`;
  }
  if (!DNS_LABEL.test(name)) {
    return 'not a DNS-1123 label: use lower-case letters, digits and "-", start with a letter and end with a letter or digit, e.g. payments-api';
  }
  return undefined;
}

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
  const { items } = await catalogApi.getEntities({
    filter: { kind: SERVICE_NAME_KINDS, 'metadata.name': name },
    fields: ['kind', 'metadata.namespace', 'metadata.name'],
  });
  if (items.length === 0) return undefined;
  const taken = items
    .map(
      e =>
        `${e.kind.toLocaleLowerCase('en-US')}:${
          e.metadata.namespace ?? 'default'
        }/${e.metadata.name}`,
    )
    .join(', ');
  return `${name} is already in the catalog (${taken}); choose another name`;
}

/**
 * Why `value` is not a cost center the policy accepts, or undefined. The one policy check of
 * shipshape-common, applied to a Component carrying only this cost center.
 */
export function costCenterError(
  policy: ShipshapePolicy,
  value: string,
): string | undefined {
  const name = SHIPSHAPE_ANNOTATIONS.costCenter.name;
  const report = checkEntityPolicy(policy, {
    kind: 'Component',
    metadata: { name: 'new-service', annotations: { [name]: value } },
    spec: { owner: 'group:default/new-service-owner' },
  });
  const violation = report.violations.find(
    v => v.field === `metadata.annotations.${name}`,
  );
  if (!violation) return undefined;
  // the message names the made-up entity first; the field needs only the rest
  const message = violation.message.replace(`${report.entityRef}: `, '');
  return `Cost center outside the policy: ${message}`;
}

/** Reads the effective policy from the Shipshape backend (GET /api/shipshape/policy). */
export async function fetchPolicy(apis: ApiHolder): Promise<ShipshapePolicy> {
  const discoveryApi = apis.get(discoveryApiRef);
  const fetchApi = apis.get(fetchApiRef);
  if (!discoveryApi || !fetchApi) {
    throw new Error('the app has no discovery or fetch API');
  }
  const base = await discoveryApi.getBaseUrl('shipshape');
  const res = await fetchApi.fetch(`${base}/policy`);
  if (!res.ok) throw await ResponseError.fromResponse(res);
  return (await res.json()) as ShipshapePolicy;
}

/** What the field says when the backend does not answer: the value is not accepted unchecked. */
export function policyUnavailable(error: unknown): string {
  return `The cost-center policy could not be read from the Shipshape backend (${
    (error as Error)?.message ?? String(error)
  }), so this value cannot be checked; try again in a moment`;
}

/** Validation of the ShipshapeServiceName field: DNS-1123 label, not already in the catalog. */
export const serviceNameValidation: CustomFieldValidator<string> = async (
  value,
  validation,
  { apiHolder },
) => {
  if (!value) return; // `required` in the template says so
  const catalogApi = apiHolder.get(catalogApiRef);
  if (!catalogApi) {
    validation.addError(
      'The catalog cannot be asked whether this name is taken (no catalog API)',
    );
    return;
  }
  try {
    const error = await serviceNameError(value, catalogApi);
    if (error) validation.addError(error);
  } catch (e) {
    validation.addError(
      `The catalog could not be asked whether ${value} is taken (${
        (e as Error).message
      }); try again in a moment`,
    );
  }
};

/** Validation of the ShipshapeCostCenter field: the policy the catalog module enforces. */
export const costCenterValidation: CustomFieldValidator<string> = async (
  value,
  validation,
  { apiHolder },
) => {
  if (!value) return; // `required` in the template says so
  let policy: ShipshapePolicy;
  try {
    policy = await fetchPolicy(apiHolder);
  } catch (e) {
    validation.addError(policyUnavailable(e));
    return;
  }
  const error = costCenterError(policy, value);
  if (error) validation.addError(error);
};

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
