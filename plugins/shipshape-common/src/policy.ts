/**
 * The ownership and cost-tag policy: what app-config `shipshape.policy` says every catalog entity
 * must carry, and one pure function that checks an entity against it. The catalog module, the
 * backend and the cards all use this one function, so they never disagree.
 */
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { MAX_VALUE_LENGTH, SHIPSHAPE_ANNOTATIONS, TIERS } from './contract';

/**
 * `warn` keeps the entity and shows the violation; `enforce` makes it a catalog processing error.
 *
 * @public
 */
export type PolicyMode = 'warn' | 'enforce';

/** @public */
export const POLICY_MODES: readonly PolicyMode[] = ['warn', 'enforce'];

/**
 * The rules a violation can come from.
 *
 * @public
 */
export type PolicyRule =
  | 'owner-present'
  | 'owner-exists'
  | 'tag-required'
  | 'tag-value'
  | 'annotation-format';

/**
 * One tag (an annotation) the policy requires or constrains.
 *
 * @public
 */
export interface TagPolicy {
  /** The annotation name, e.g. `shipshape.dev/cost-center`. */
  name: string;
  /** Whether the entity must carry it (directly or inherited). Default true. */
  required: boolean;
  /** A regular expression the whole value must match. */
  pattern?: string;
  /** The values allowed. */
  allowed?: string[];
  /** A Component, Resource or API without the tag takes its System's, and says so. */
  inheritFromSystem: boolean;
  mode: PolicyMode;
}

/** @public */
export interface ShipshapePolicy {
  /** Entity kinds the policy applies to, lower case. */
  kinds: string[];
  ownerPresent: { mode: PolicyMode };
  ownerExists: { mode: PolicyMode };
  /** Every other Shipshape annotation the entity carries must parse. */
  annotationFormat: { mode: PolicyMode };
  tags: TagPolicy[];
}

/**
 * The policy when app-config says nothing: cost center `CC-nnnn` inherited from the system, a known tier; all warn.
 *
 * @public
 */
export function defaultShipshapePolicy(
  mode: PolicyMode = 'warn',
): ShipshapePolicy {
  return parseShipshapePolicy({ mode });
}

/**
 * A precise, named error in the policy itself (app-config), thrown at startup.
 *
 * @public
 */
export class PolicyConfigError extends Error {
  name = 'PolicyConfigError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readMode(where: string, value: unknown, fallback: PolicyMode) {
  if (value === undefined) return fallback;
  if (value === 'warn' || value === 'enforce') return value;
  throw new PolicyConfigError(
    `${where} is ${JSON.stringify(value)}; expected warn or enforce`,
  );
}

function readRuleMode(
  raw: Record<string, unknown>,
  key: string,
  fallback: PolicyMode,
) {
  const rule = raw[key];
  if (rule === undefined) return { mode: fallback };
  if (!isRecord(rule)) {
    throw new PolicyConfigError(
      `shipshape.policy.${key} must be an object like { mode: warn }`,
    );
  }
  return {
    mode: readMode(`shipshape.policy.${key}.mode`, rule.mode, fallback),
  };
}

const DEFAULT_TAGS = [
  {
    name: SHIPSHAPE_ANNOTATIONS.costCenter.name,
    pattern: '^CC-\\d{4}$',
    inheritFromSystem: true,
  },
  {
    name: SHIPSHAPE_ANNOTATIONS.tier.name,
    allowed: [...TIERS],
    inheritFromSystem: false,
  },
];

/**
 * Reads app-config `shipshape.policy` (as plain data, e.g. `config.getOptional('shipshape.policy')`).
 * `mode` at the top is the default of every rule. Throws a PolicyConfigError naming the key
 * that is wrong; an entity can never make this throw.
 *
 * @public
 */
export function parseShipshapePolicy(raw: unknown): ShipshapePolicy {
  const input = raw === undefined || raw === null ? {} : raw;
  if (!isRecord(input)) {
    throw new PolicyConfigError('shipshape.policy must be an object');
  }
  const mode = readMode('shipshape.policy.mode', input.mode, 'warn');
  let kinds = ['component', 'resource', 'system', 'api'];
  if (input.kinds !== undefined) {
    if (
      !Array.isArray(input.kinds) ||
      !input.kinds.every(k => typeof k === 'string')
    ) {
      throw new PolicyConfigError(
        'shipshape.policy.kinds must be a list of entity kinds',
      );
    }
    kinds = input.kinds.map(k => (k as string).toLocaleLowerCase('en-US'));
  }
  const rawTags = input.tags === undefined ? DEFAULT_TAGS : input.tags;
  if (!Array.isArray(rawTags)) {
    throw new PolicyConfigError('shipshape.policy.tags must be a list');
  }
  const tags = rawTags.map((t, i): TagPolicy => {
    const where = `shipshape.policy.tags[${i}]`;
    if (!isRecord(t) || typeof t.name !== 'string' || !t.name) {
      throw new PolicyConfigError(`${where}.name must be an annotation name`);
    }
    if (t.pattern !== undefined) {
      if (typeof t.pattern !== 'string') {
        throw new PolicyConfigError(`${where}.pattern must be a string`);
      }
      try {
        // eslint-disable-next-line no-new
        new RegExp(t.pattern, 'u');
      } catch (e) {
        throw new PolicyConfigError(
          `${where}.pattern is not a valid regular expression: ${
            (e as Error).message
          }`,
        );
      }
    }
    if (
      t.allowed !== undefined &&
      (!Array.isArray(t.allowed) ||
        !t.allowed.every(v => typeof v === 'string'))
    ) {
      throw new PolicyConfigError(`${where}.allowed must be a list of strings`);
    }
    return {
      name: t.name,
      required: t.required === undefined ? true : t.required === true,
      pattern: t.pattern as string | undefined,
      allowed: t.allowed as string[] | undefined,
      inheritFromSystem: t.inheritFromSystem === true,
      mode: readMode(`${where}.mode`, t.mode, mode),
    };
  });
  return {
    kinds,
    ownerPresent: readRuleMode(input, 'ownerPresent', mode),
    ownerExists: readRuleMode(input, 'ownerExists', mode),
    annotationFormat: readRuleMode(input, 'annotationFormat', mode),
    tags,
  };
}

/**
 * What the catalog said about the entity's owner.
 *
 * @public
 */
export type OwnerLookup =
  | { status: 'found'; kind: string }
  | { status: 'missing' }
  /** The lookup itself failed; no violation is invented from that. */
  | { status: 'unknown'; reason: string };

/**
 * The entity's System as found in the catalog.
 *
 * @public
 */
export type SystemLookup =
  | { status: 'found'; ref: string; annotations: Record<string, string> }
  | { status: 'missing'; ref: string };

/** @public */
export interface PolicyViolation {
  rule: PolicyRule;
  /** Where on the entity: `spec.owner`, `metadata.annotations.shipshape.dev/tier`. */
  field: string;
  /** Names the entity, the field and the fix. */
  message: string;
  mode: PolicyMode;
}

/** @public */
export interface EffectiveTag {
  name: string;
  value: string;
  /** `own`, or the System it was inherited from (`system:default/commerce`). */
  source: string;
}

/** @public */
export interface PolicyReport {
  entityRef: string;
  /** The owner ref in full form, when spec.owner is a valid ref. */
  ownerRef?: string;
  violations: PolicyViolation[];
  tags: EffectiveTag[];
}

/**
 * A minimal entity shape, so this works on anything the catalog returns.
 *
 * @public
 */
export interface PolicyEntity {
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    annotations?: Record<string, unknown>;
  };
  spec?: Record<string, unknown>;
}

function refOf(entity: PolicyEntity): string {
  try {
    return stringifyEntityRef({
      kind: entity.kind,
      namespace: entity.metadata.namespace,
      name: entity.metadata.name,
    });
  } catch {
    return `${String(entity.kind)}:${String(entity.metadata?.name)}`;
  }
}

/**
 * `spec.owner` in full form (`group:default/x`), or why it is not a valid ref.
 *
 * @public
 */
export function ownerRefOf(
  entity: PolicyEntity,
): { ok: true; ref: string } | { ok: false; error: string } | undefined {
  const owner = entity.spec?.owner;
  if (owner === undefined || owner === null || owner === '') return undefined;
  if (typeof owner !== 'string') {
    return { ok: false, error: 'spec.owner is not a string' };
  }
  const shown = JSON.stringify(owner.slice(0, 100));
  if (owner.length > MAX_VALUE_LENGTH) {
    return {
      ok: false,
      error: `spec.owner is ${owner.length} characters long; at most ${MAX_VALUE_LENGTH} are allowed`,
    };
  }
  try {
    const ref = parseEntityRef(owner, {
      defaultKind: 'group',
      defaultNamespace: entity.metadata.namespace ?? 'default',
    });
    return { ok: true, ref: stringifyEntityRef(ref) };
  } catch {
    return {
      ok: false,
      error: `spec.owner ${shown} is not an entity ref like group:default/payments-team`,
    };
  }
}

/**
 * `spec.system` in full form, when the entity names one.
 *
 * @public
 */
export function systemRefOf(entity: PolicyEntity): string | undefined {
  const system = entity.spec?.system;
  if (typeof system !== 'string' || !system || entity.kind === 'System') {
    return undefined;
  }
  try {
    return stringifyEntityRef(
      parseEntityRef(system, {
        defaultKind: 'system',
        defaultNamespace: entity.metadata.namespace ?? 'default',
      }),
    );
  } catch {
    return undefined;
  }
}

/** Length, printable, valid UTF-8 (a decoder leaves U+FFFD for bytes that were not). */
function rawValueError(name: string, raw: unknown): string | undefined {
  if (typeof raw !== 'string') {
    return `${name} is not a string (it is ${
      raw === null ? 'null' : typeof raw
    })`;
  }
  if (raw.length > MAX_VALUE_LENGTH) {
    return `${name} is ${raw.length} characters long; at most ${MAX_VALUE_LENGTH} are allowed`;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\ufffd]/.test(raw)) {
    return `${name} contains control characters or bytes that are not valid UTF-8`;
  }
  if (!raw.trim()) return `${name} is empty`;
  return undefined;
}

const KNOWN_BY_NAME = new Map<
  string,
  (typeof SHIPSHAPE_ANNOTATIONS)[keyof typeof SHIPSHAPE_ANNOTATIONS]
>(Object.values(SHIPSHAPE_ANNOTATIONS).map(spec => [spec.name, spec]));

/** Why a tag value breaks the policy, or undefined when it is fine. */
function tagValueError(tag: TagPolicy, raw: unknown): string | undefined {
  const base = rawValueError(tag.name, raw);
  if (base) return base;
  const value = (raw as string).trim();
  const shown = JSON.stringify(value);
  if (tag.allowed && !tag.allowed.includes(value)) {
    return `${tag.name} is ${shown}; expected one of ${tag.allowed.join(', ')}`;
  }
  if (tag.pattern && !new RegExp(tag.pattern, 'u').test(value)) {
    return `${tag.name} is ${shown}; expected a value matching ${tag.pattern}`;
  }
  const known = KNOWN_BY_NAME.get(tag.name);
  if (known) {
    const parsed = known.parse(value);
    if (!parsed.ok) return parsed.error;
  }
  return undefined;
}

/** Why nothing could be inherited from the System. */
function inheritanceNote(system: SystemLookup | undefined): string {
  if (system?.status === 'found') {
    return ` (its system ${system.ref} has none to inherit)`;
  }
  if (system?.status === 'missing') {
    return ` (its system ${system.ref} is not in the catalog)`;
  }
  return ' (it has no spec.system to inherit from)';
}

function example(tag: TagPolicy): string {
  if (tag.allowed?.length) return tag.allowed[0];
  const known = KNOWN_BY_NAME.get(tag.name);
  return known?.example ?? '<value>';
}

/**
 * Checks one entity against the policy. Pure: the caller looks up the owner and the System in the
 * catalog and passes what it found. Never throws on entity input; every problem is a violation.
 *
 * @public
 */
export function checkEntityPolicy(
  policy: ShipshapePolicy,
  entity: PolicyEntity,
  lookups: { owner?: OwnerLookup; system?: SystemLookup } = {},
): PolicyReport {
  const entityRef = refOf(entity);
  const violations: PolicyViolation[] = [];
  const tags: EffectiveTag[] = [];
  const kind = String(entity.kind ?? '').toLocaleLowerCase('en-US');
  if (!policy.kinds.includes(kind)) {
    return { entityRef, violations, tags };
  }
  const annotations: Record<string, unknown> = isRecord(
    entity.metadata?.annotations,
  )
    ? (entity.metadata.annotations as Record<string, unknown>)
    : {};

  // Owner: present, a valid ref, and an existing Group or User.
  const owner = ownerRefOf(entity);
  let ownerRef: string | undefined;
  if (!owner) {
    violations.push({
      rule: 'owner-present',
      field: 'spec.owner',
      message: `${entityRef}: spec.owner is missing; set it to the group that answers for this ${entity.kind}, e.g. group:default/payments-team`,
      mode: policy.ownerPresent.mode,
    });
  } else if (!owner.ok) {
    violations.push({
      rule: 'owner-present',
      field: 'spec.owner',
      message: `${entityRef}: ${owner.error}; set it to an existing group, e.g. group:default/payments-team`,
      mode: policy.ownerPresent.mode,
    });
  } else {
    ownerRef = owner.ref;
    const ownerKind = parseEntityRef(owner.ref).kind.toLocaleLowerCase('en-US');
    if (ownerKind !== 'group' && ownerKind !== 'user') {
      violations.push({
        rule: 'owner-exists',
        field: 'spec.owner',
        message: `${entityRef}: spec.owner "${owner.ref}" is a ${ownerKind}, not a Group or User; set it to the group that answers for this ${entity.kind}`,
        mode: policy.ownerExists.mode,
      });
    } else if (lookups.owner?.status === 'missing') {
      violations.push({
        rule: 'owner-exists',
        field: 'spec.owner',
        message: `${entityRef}: spec.owner "${
          owner.ref
        }" does not exist in the catalog; register that ${
          ownerKind === 'user' ? 'User' : 'Group'
        } or set spec.owner to an existing one`,
        mode: policy.ownerExists.mode,
      });
    }
  }

  // Required tags, own or inherited from the System.
  const tagged = new Set<string>();
  for (const tag of policy.tags) {
    tagged.add(tag.name);
    const field = `metadata.annotations.${tag.name}`;
    const raw = annotations[tag.name];
    if (raw !== undefined) {
      const error = tagValueError(tag, raw);
      if (error) {
        violations.push({
          rule: 'tag-value',
          field,
          message: `${entityRef}: ${error}; set it to a valid value, e.g. ${
            tag.name
          }: ${example(tag)}`,
          mode: tag.mode,
        });
      } else {
        tags.push({
          name: tag.name,
          value: (raw as string).trim(),
          source: 'own',
        });
      }
      continue;
    }
    const system = lookups.system;
    if (tag.inheritFromSystem && system?.status === 'found') {
      const inherited = system.annotations[tag.name];
      if (inherited !== undefined) {
        const error = tagValueError(tag, inherited);
        if (!error) {
          tags.push({
            name: tag.name,
            value: inherited.trim(),
            source: system.ref,
          });
          continue;
        }
        violations.push({
          rule: 'tag-value',
          field,
          message: `${entityRef}: inherits ${tag.name} from ${
            system.ref
          }, but there ${error}; fix it on ${
            system.ref
          } or set it on this entity, e.g. ${tag.name}: ${example(tag)}`,
          mode: tag.mode,
        });
        continue;
      }
    }
    if (tag.required) {
      const fromSystem =
        tag.inheritFromSystem && entity.kind !== 'System'
          ? inheritanceNote(system)
          : '';
      violations.push({
        rule: 'tag-required',
        field,
        message: `${entityRef}: ${
          tag.name
        } is missing${fromSystem}; add the annotation, e.g. ${
          tag.name
        }: ${example(tag)}`,
        mode: tag.mode,
      });
    }
  }

  // Every other Shipshape annotation must parse.
  for (const spec of Object.values(SHIPSHAPE_ANNOTATIONS)) {
    if (tagged.has(spec.name)) continue;
    const raw = annotations[spec.name];
    if (raw === undefined) continue;
    const error =
      rawValueError(spec.name, raw) ??
      (() => {
        const parsed = spec.parse(raw as string);
        return parsed.ok ? undefined : parsed.error;
      })();
    if (error) {
      violations.push({
        rule: 'annotation-format',
        field: `metadata.annotations.${spec.name}`,
        message: `${entityRef}: ${error}; fix the value, e.g. ${spec.name}: ${spec.example}`,
        mode: policy.annotationFormat.mode,
      });
    }
  }
  return { entityRef, ownerRef, violations, tags };
}
