/**
 * The wizard fields' rules as plain functions, with no React and no app APIs: the fields use them,
 * and templates/scripts/check-wizard-validation.mjs runs them on the templates' bad input.
 */
import type { CatalogApi } from '@backstage/plugin-catalog-react';
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
