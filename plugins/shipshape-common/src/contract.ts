/**
 * The Shipshape entity contract: every annotation and label name Shipshape reads or writes,
 * each with exactly one parser. Templates write these names, the catalog module checks them,
 * the backend reads them. Docs: docs/entity-contract.md (kept in step by contract.test.ts).
 */

import type { ParseResult } from './parseResult';
import { INLINE_SLO_EXAMPLE, parseInlineSlo } from './slo/inline';

export type { ParseResult };

/** @public */
export const TIERS = ['critical', 'standard', 'best-effort'] as const;
/** @public */
export type Tier = (typeof TIERS)[number];

/**
 * Names the Backstage ecosystem already uses; Shipshape reuses them unchanged.
 *
 * @public
 */
export const ECOSYSTEM_ANNOTATIONS = {
  kubernetesId: 'backstage.io/kubernetes-id',
  kubernetesNamespace: 'backstage.io/kubernetes-namespace',
  kubernetesLabelSelector: 'backstage.io/kubernetes-label-selector',
  githubProjectSlug: 'github.com/project-slug',
  techdocsRef: 'backstage.io/techdocs-ref',
  prometheusAlert: 'prometheus.io/alert',
  prometheusRule: 'prometheus.io/rule',
} as const;

/**
 * Longest annotation value Shipshape accepts; longer values are refused, not truncated.
 *
 * @public
 */
export const MAX_VALUE_LENGTH = 1024;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * A Kubernetes DNS label (RFC 1123): lowercase letters, digits and '-', at most 63 characters.
 *
 * @public
 */
export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}
const DURATION = /^(\d+)(m|h|d)$/;
const UNIT_SECONDS = { m: 60, h: 3600, d: 86400 } as const;

/** Common checks for every raw value: present, bounded, printable. */
function checkRaw(name: string, raw: string): ParseResult<string> {
  if (typeof raw !== 'string') {
    return { ok: false, error: `${name} must be a string` };
  }
  if (raw.length > MAX_VALUE_LENGTH) {
    return {
      ok: false,
      error: `${name} is ${raw.length} characters long; at most ${MAX_VALUE_LENGTH} are allowed`,
    };
  }
  // U+FFFD is what a decoder leaves for bytes that were not valid UTF-8.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\ufffd]/.test(raw)) {
    return {
      ok: false,
      error: `${name} contains control characters or bytes that are not valid UTF-8`,
    };
  }
  const value = raw.trim();
  if (!value) return { ok: false, error: `${name} is empty` };
  return { ok: true, value };
}

function oneOf<T extends string>(allowed: readonly T[]) {
  return (name: string, raw: string): ParseResult<T> => {
    const base = checkRaw(name, raw);
    if (!base.ok) return base;
    return (allowed as readonly string[]).includes(base.value)
      ? { ok: true, value: base.value as T }
      : {
          ok: false,
          error: `${name} is "${base.value}"; expected one of ${allowed.join(
            ', ',
          )}`,
        };
  };
}

/**
 * A duration such as `15m`, `4h` or `30d`, returned in seconds.
 *
 * @public
 */
export function parseDuration(name: string, raw: string): ParseResult<number> {
  const base = checkRaw(name, raw);
  if (!base.ok) return base;
  const match = DURATION.exec(base.value);
  if (!match || Number(match[1]) === 0) {
    return {
      ok: false,
      error: `${name} is "${base.value}"; expected a positive duration like 15m, 4h or 30d`,
    };
  }
  return {
    ok: true,
    value:
      Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS],
  };
}

function parseName(name: string, raw: string): ParseResult<string> {
  const base = checkRaw(name, raw);
  if (!base.ok) return base;
  if (/:\/\/|@|=|\s/.test(base.value)) {
    return {
      ok: false,
      error: `${name} must be the name of an entry in app-config, not a connection string or credential`,
    };
  }
  return DNS_LABEL.test(base.value) && base.value.length <= 63
    ? base
    : {
        ok: false,
        error: `${name} is "${base.value}"; expected a lower-case name (a-z, 0-9, -), at most 63 characters`,
      };
}

function parseText(name: string, raw: string): ParseResult<string> {
  return checkRaw(name, raw);
}

function parseHttpUrl(name: string, raw: string): ParseResult<string> {
  const base = checkRaw(name, raw);
  if (!base.ok) return base;
  try {
    const url = new URL(base.value);
    if (url.protocol === 'https:' || url.protocol === 'http:') return base;
  } catch {
    // fall through to the error below
  }
  return {
    ok: false,
    error: `${name} is "${base.value}"; expected an http(s) URL`,
  };
}

/** A path relative to the entity's catalog file, or an http(s) URL. */
function parseLocationRef(name: string, raw: string): ParseResult<string> {
  const base = checkRaw(name, raw);
  if (!base.ok) return base;
  if (
    /^https?:\/\//.test(base.value) ||
    /^\.{0,2}\/?[\w./-]+$/.test(base.value)
  ) {
    return base;
  }
  return {
    ok: false,
    error: `${name} is "${base.value}"; expected a path relative to catalog-info.yaml (./slo.yaml) or an http(s) URL`,
  };
}

interface FieldSpec<T> {
  /** The full annotation or label name. */
  name: string;
  /** One line for the reference page. */
  description: string;
  /** An example value, also used by the docs and tests. */
  example: string;
  parse: (name: string, raw: string) => ParseResult<T>;
}

function field<T>(spec: FieldSpec<T>) {
  return {
    ...spec,
    parse: (raw: string): ParseResult<T> => spec.parse(spec.name, raw),
  };
}

/**
 * Shipshape's own annotations, all under `shipshape.dev/`.
 *
 * @public
 */
export const SHIPSHAPE_ANNOTATIONS = {
  tier: field({
    name: 'shipshape.dev/tier',
    description: `Service tier; drives replicas, PDB, SLO, RPO/RTO defaults and readiness rules (${TIERS.join(
      ', ',
    )}).`,
    example: 'critical',
    parse: oneOf(TIERS),
  }),
  costCenter: field({
    name: 'shipshape.dev/cost-center',
    description:
      'Cost center that pays for the entity; its format is set by the policy in app-config (shipshape.policy).',
    example: 'CC-1234',
    parse: parseText,
  }),
  sloRef: field({
    name: 'shipshape.dev/slo-ref',
    description:
      "OpenSLO file with the entity's SLOs, relative to catalog-info.yaml or an http(s) URL.",
    example: './slo.yaml',
    parse: parseLocationRef,
  }),
  slo: field({
    name: 'shipshape.dev/slo',
    description:
      'Short inline SLOs for services with the standard HTTP metrics (labelled service=<kubernetes-id>): availability=P%, latency-pNN=T(ms|s), window=28d|30d, separated by ";". See docs/slo.md.',
    example: INLINE_SLO_EXAMPLE,
    parse: parseInlineSlo,
  }),
  rpo: field({
    name: 'shipshape.dev/rpo',
    description:
      'Recovery point objective: the most data loss acceptable, as a duration.',
    example: '15m',
    parse: parseDuration,
  }),
  rto: field({
    name: 'shipshape.dev/rto',
    description:
      'Recovery time objective: the longest acceptable time to restore service, as a duration.',
    example: '1h',
    parse: parseDuration,
  }),
  backupTarget: field({
    name: 'shipshape.dev/backup-target',
    description:
      'Name of a backup target defined in app-config (shipshape.backup.targets); never a connection string.',
    example: 'payments-db',
    parse: parseName,
  }),
  restoreDrillInterval: field({
    name: 'shipshape.dev/restore-drill-interval',
    description:
      'How often a restore drill must prove the backups restore, as a duration.',
    example: '30d',
    parse: parseDuration,
  }),
  drRegion: field({
    name: 'shipshape.dev/dr-region',
    description:
      'Region that holds the second copy of backups and the failover capacity.',
    example: 'eu-central-1',
    parse: parseName,
  }),
  runbook: field({
    name: 'shipshape.dev/runbook',
    description:
      'Link to the runbook: deploy, roll back, restore a backup, fail over.',
    example: 'https://docs.example.com/payments-api/runbook',
    parse: parseHttpUrl,
  }),
  prometheusInstance: field({
    name: 'shipshape.dev/prometheus-instance',
    description:
      'Name of a Prometheus instance configured in app-config (shipshape.prometheus.instances); never a URL.',
    example: 'default',
    parse: parseName,
  }),
} as const;

/**
 * Labels stamped on every Kubernetes object by the templates' Helm chart, so cost can be
 * allocated from the cluster and compared with the catalog.
 *
 * @public
 */
export const SHIPSHAPE_LABELS = {
  service: 'shipshape.dev/service',
  owner: 'shipshape.dev/owner',
  costCenter: 'shipshape.dev/cost-center',
  environment: 'shipshape.dev/environment',
  tier: 'shipshape.dev/tier',
} as const;

/**
 * Annotations on the workloads (and namespaces) the portal acts on: the evidence that an object
 * belongs to a catalog entity. The entity's author cannot write them from the catalog; only the
 * identity that deploys the chart (Helm) or creates the namespace (the platform) can.
 *
 * @public
 */
export const WORKLOAD_ANNOTATIONS = {
  /** The owning entity's ref, e.g. `component:default/payments-api` (the chart stamps it). */
  entity: 'shipshape.dev/entity',
  /** Helm's own: the release that manages the object. */
  helmReleaseName: 'meta.helm.sh/release-name',
  helmReleaseNamespace: 'meta.helm.sh/release-namespace',
} as const;

/** @public */
export type ShipshapeAnnotationKey = keyof typeof SHIPSHAPE_ANNOTATIONS;

/**
 * Reads one Shipshape annotation from an entity: undefined when absent, else its parse result.
 *
 * @public
 */
export function readAnnotation<K extends ShipshapeAnnotationKey>(
  entity: { metadata: { annotations?: Record<string, string> } },
  key: K,
): ReturnType<(typeof SHIPSHAPE_ANNOTATIONS)[K]['parse']> | undefined {
  const spec = SHIPSHAPE_ANNOTATIONS[key];
  const raw = entity.metadata.annotations?.[spec.name];
  if (raw === undefined) return undefined;
  return spec.parse(raw) as ReturnType<
    (typeof SHIPSHAPE_ANNOTATIONS)[K]['parse']
  >;
}
