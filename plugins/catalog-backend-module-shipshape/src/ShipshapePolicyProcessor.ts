import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  CatalogService,
  processingResult,
} from '@backstage/plugin-catalog-node';
import {
  ECOSYSTEM_ANNOTATIONS,
  OwnerLookup,
  PolicyReport,
  SHIPSHAPE_ANNOTATIONS,
  ShipshapePolicy,
  SystemLookup,
  checkEntityPolicy,
  ownerRefOf,
  systemRefOf,
} from '@shipshape/plugin-shipshape-common';

/** How long an owner or system lookup is reused. Short, so a new Group clears violations quickly. */
export const DEFAULT_LOOKUP_TTL_MS = 10_000;

type Lookup = { entity?: Entity; error?: string };

/**
 * The annotations that claim something only one entity may have, and what a second claimant is
 * told (after `<annotation>=<value> is already claimed by <the first>; `).
 */
const CLAIMS = [
  {
    annotation: ECOSYSTEM_ANNOTATIONS.kubernetesId,
    consequence:
      'two entities cannot own the same workloads (the portal refuses to deploy or roll back either); give this entity its own kubernetes-id or remove one of them',
  },
  {
    annotation: SHIPSHAPE_ANNOTATIONS.backupTarget.name,
    consequence:
      "two entities cannot name the same backup target (the portal refuses to back it up or drill it for either, unless the target's allowedEntities in app-config lists both); name it on one entity only",
  },
];

/**
 * Applies the Shipshape policy (app-config `shipshape.policy`) during catalog processing. It looks
 * the owner and the System up in the catalog (its own service credentials; lookups cached
 * briefly), checks the entity with `checkEntityPolicy`, and emits each violation whose rule is in
 * `enforce` mode as a processing error naming the entity, the field and the fix. Violations in
 * `warn` mode leave the entity as it is: a processing error would keep a new entity out of the
 * catalog altogether; the API and the card compute and show the same violations.
 */
export class ShipshapePolicyProcessor implements CatalogProcessor {
  private readonly cache = new Map<
    string,
    { expires: number; value: Promise<Lookup> }
  >();

  private constructor(
    private readonly options: {
      policy: ShipshapePolicy;
      catalog: CatalogService;
      auth: AuthService;
      logger: LoggerService;
      ttlMs: number;
      now: () => number;
    },
  ) {}

  static create(options: {
    policy: ShipshapePolicy;
    catalog: CatalogService;
    auth: AuthService;
    logger: LoggerService;
    ttlMs?: number;
    now?: () => number;
  }) {
    return new ShipshapePolicyProcessor({
      ttlMs: DEFAULT_LOOKUP_TTL_MS,
      now: Date.now,
      ...options,
    });
  }

  getProcessorName(): string {
    return 'ShipshapePolicyProcessor';
  }

  async postProcessEntity(
    entity: Entity,
    location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    let report: PolicyReport;
    try {
      report = await this.check(entity);
    } catch (e) {
      // Never let the policy break processing of this or any other entity.
      this.options.logger.warn(
        `Shipshape policy check failed for ${entity.kind}:${entity.metadata.name}: ${e}`,
      );
      return entity;
    }
    for (const violation of report.violations) {
      if (violation.mode === 'enforce') {
        emit(processingResult.inputError(location, violation.message));
      }
    }
    for (const claim of await this.duplicateClaims(entity)) {
      emit(processingResult.inputError(location, claim));
    }
    return entity;
  }

  /**
   * Another entity in the catalog with the same `backstage.io/kubernetes-id` claims the same
   * workloads, one with the same `shipshape.dev/backup-target` the same database: a message
   * for each, naming the others. Always an error, whatever the policy mode: a new entity that
   * claims another's workloads or target stays out of the catalog (the backend refuses to act
   * on a claimed id or target as well, docs/operations.md and docs/backup.md). The catalog does
   * not see the backend's allowedEntities: a target several entities share is named by one.
   */
  async duplicateClaims(entity: Entity): Promise<string[]> {
    const found = await Promise.all(
      CLAIMS.map(c => this.duplicateClaim(entity, c.annotation, c.consequence)),
    );
    return found.filter((m): m is string => m !== undefined);
  }

  private async duplicateClaim(
    entity: Entity,
    annotation: string,
    consequence: string,
  ): Promise<string | undefined> {
    const value = entity.metadata.annotations?.[annotation];
    if (!value) return undefined;
    const self = stringifyEntityRef(entity);
    let others: string[];
    try {
      const { items } = await this.options.catalog.getEntities(
        {
          filter: { [`metadata.annotations.${annotation}`]: value },
          fields: ['kind', 'metadata.name', 'metadata.namespace'],
        },
        { credentials: await this.options.auth.getOwnServiceCredentials() },
      );
      others = items.map(e => stringifyEntityRef(e)).filter(r => r !== self);
    } catch (e) {
      this.options.logger.warn(
        `Shipshape could not look up other claims of ${annotation}=${value} for ${self}: ${e}`,
      );
      return undefined;
    }
    if (!others.length) return undefined;
    return `${self}: ${annotation}=${value} is already claimed by ${others
      .sort()
      .join(', ')}; ${consequence}`;
  }

  /** The policy report of one entity, with its owner and system looked up in the catalog. */
  async check(entity: Entity): Promise<PolicyReport> {
    const { policy } = this.options;
    if (!policy.kinds.includes(entity.kind.toLocaleLowerCase('en-US'))) {
      return checkEntityPolicy(policy, entity);
    }
    const ownerRef = ownerRefOf(entity);
    const systemRef = systemRefOf(entity);
    const [owner, system] = await Promise.all([
      ownerRef?.ok ? this.lookup(ownerRef.ref) : undefined,
      systemRef ? this.lookup(systemRef) : undefined,
    ]);
    let ownerLookup: OwnerLookup | undefined;
    if (owner?.error) ownerLookup = { status: 'unknown', reason: owner.error };
    else if (owner) {
      ownerLookup = owner.entity
        ? { status: 'found', kind: owner.entity.kind }
        : { status: 'missing' };
    }
    let systemLookup: SystemLookup | undefined;
    if (systemRef && system && !system.error) {
      systemLookup = system.entity
        ? {
            status: 'found',
            ref: systemRef,
            annotations: system.entity.metadata.annotations ?? {},
          }
        : { status: 'missing', ref: systemRef };
    }
    return checkEntityPolicy(policy, entity, {
      owner: ownerLookup,
      system: systemLookup,
    });
  }

  private lookup(ref: string): Promise<Lookup> {
    const now = this.options.now();
    const hit = this.cache.get(ref);
    if (hit && hit.expires > now) return hit.value;
    const value = (async (): Promise<Lookup> => {
      try {
        const entity = await this.options.catalog.getEntityByRef(ref, {
          credentials: await this.options.auth.getOwnServiceCredentials(),
        });
        return { entity };
      } catch (e) {
        // A failed lookup is not cached and never becomes a violation.
        this.cache.delete(ref);
        return { error: String(e) };
      }
    })();
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(ref, { expires: now + this.options.ttlMs, value });
    return value;
  }
}
