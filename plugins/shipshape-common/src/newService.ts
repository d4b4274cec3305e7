/**
 * What a new service's name, owner and cost center must satisfy before a template creates it.
 * The wizard fields (in the browser) and the shipshape:service:check action (on the server)
 * both use these, so they say the same thing.
 */
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { SHIPSHAPE_ANNOTATIONS } from './contract';
import { checkEntityPolicy, ShipshapePolicy } from './policy';

/** A Kubernetes DNS-1123 label that starts with a letter: what the template's name becomes. */
const SERVICE_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Kinds whose names a new service would collide with (entity, Helm release, image, kubernetes-id).
 *
 * @public
 */
export const SERVICE_NAME_KINDS = ['Component', 'API', 'Resource', 'System'];

/**
 * Why `name` is not a DNS-1123 label starting with a letter, or undefined when it is one.
 *
 * @public
 */
export function serviceNameFormatError(name: string): string | undefined {
  if (name.length > 63) {
    return `${name.length} characters; a DNS-1123 label has at most 63`;
  }
  if (!SERVICE_NAME.test(name)) {
    return 'not a DNS-1123 label: use lower-case letters, digits and "-", start with a letter and end with a letter or digit, e.g. payments-api';
  }
  return undefined;
}

/**
 * The catalog query that finds the entities a new service called `name` would collide with.
 *
 * @public
 */
export function serviceNameQuery(name: string) {
  return {
    filter: { kind: SERVICE_NAME_KINDS, 'metadata.name': name },
    fields: ['kind', 'metadata.namespace', 'metadata.name'],
  };
}

/**
 * Why `name` is taken, given what serviceNameQuery found; undefined when nothing was.
 *
 * @public
 */
export function serviceNameTakenError(
  name: string,
  found: Pick<Entity, 'kind' | 'metadata'>[],
): string | undefined {
  if (found.length === 0) return undefined;
  const taken = found
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
 * this package, applied to a Component carrying only this cost center.
 *
 * @public
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

/**
 * The Group entity ref `owner` names (a Group's ref as OwnerPicker stores it, or a bare group
 * name), or why it cannot own a new service. Whether the group exists is the caller's question.
 *
 * @public
 */
export function ownerGroupRef(
  owner: string,
): { ref: string; error?: undefined } | { ref?: undefined; error: string } {
  let ref;
  try {
    ref = parseEntityRef(owner, {
      defaultKind: 'group',
      defaultNamespace: 'default',
    });
  } catch (e) {
    return {
      error: `${JSON.stringify(owner)} is not an entity reference (${
        (e as Error).message
      })`,
    };
  }
  if (ref.kind.toLocaleLowerCase('en-US') !== 'group') {
    return {
      error: `${owner} is a ${ref.kind}, not a Group; a service is owned by a team`,
    };
  }
  return { ref: stringifyEntityRef(ref) };
}
