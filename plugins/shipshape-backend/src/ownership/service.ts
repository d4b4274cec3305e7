import {
  AuthService,
  BackstageCredentials,
} from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ECOSYSTEM_ANNOTATIONS,
  OwnerLookup,
  PolicyReport,
  SHIPSHAPE_ANNOTATIONS,
  SHIPSHAPE_LABELS,
  ShipshapePolicy,
  SystemLookup,
  checkEntityPolicy,
  ownerRefOf,
  systemRefOf,
  CostView,
  LabelFinding,
  OwnershipContact,
  OwnershipSummary,
  OwnershipView,
} from '@shipshape/plugin-shipshape-common';
import { catalogPages } from '../catalogPages';
import {
  ClusterCostReader,
  ClusterSnapshot,
  PodRequests,
  costOfPods,
  placedPods,
} from './cost';
import { WorkloadRef, workloadRefOf } from '../kubernetes/placement';

interface Row {
  key: string;
  entities: number;
  violations: number;
  entitiesWithViolations: number;
  /** undefined when no cluster is configured. */
  monthlyUsd?: number;
}

type Contact = OwnershipContact;

const SUMMARY_FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.annotations',
  'spec.owner',
  'spec.system',
];

function kubernetesIdOf(entity: Entity): string | undefined {
  const id = entity.metadata.annotations?.[ECOSYSTEM_ANNOTATIONS.kubernetesId];
  return typeof id === 'string' && id.trim() ? id.trim() : undefined;
}

function namespaceOf(entity: Entity): string | undefined {
  return entity.metadata.annotations?.[
    ECOSYSTEM_ANNOTATIONS.kubernetesNamespace
  ];
}

/**
 * The entity's among `pods`: its kubernetes-id's that run where the one resolver places it in
 * some configured environment (as its Rollout card reads them), named by that environment. A pod
 * carrying the label elsewhere is not priced; an entity whose kubernetes-id Kubernetes refuses
 * has none.
 */
function podsOf(
  cost: ClusterCostReader,
  pods: PodRequests[],
  entity: Entity,
): PodRequests[] {
  let workload: WorkloadRef;
  try {
    workload = workloadRefOf(entity);
  } catch {
    return [];
  }
  return placedPods(
    pods.filter(p => p.kubernetesId === workload.kubernetesId),
    cost.placementsOf(workload),
  );
}

/**
 * The ownership and cost view of catalog entities. Entities are always read with the caller's
 * credentials, so the catalog's own `catalog.entity.read` filtering applies; whether an owner
 * exists is checked with the plugin's credentials, as the catalog module does.
 */

/**
 * The policy report of an entity, given the kind of its owner (undefined when the catalog
 * does not have it) and its system entity (undefined when missing) as the catalog answered.
 */
function checkWithLookups(
  policy: ShipshapePolicy,
  entity: Entity,
  ownerKind: string | undefined,
  system: Entity | undefined,
): PolicyReport {
  const ownerRef = ownerRefOf(entity);
  const systemRef = systemRefOf(entity);
  let owner: OwnerLookup | undefined;
  if (ownerRef?.ok) {
    owner = ownerKind
      ? { status: 'found', kind: ownerKind }
      : { status: 'missing' };
  }
  let systemLookup: SystemLookup | undefined;
  if (systemRef) {
    systemLookup = system
      ? {
          status: 'found',
          ref: systemRef,
          annotations: system.metadata.annotations ?? {},
        }
      : { status: 'missing', ref: systemRef };
  }
  return checkEntityPolicy(policy, entity, { owner, system: systemLookup });
}

export class OwnershipService {
  private constructor(
    private readonly deps: {
      catalog: CatalogService;
      auth: AuthService;
      policy: ShipshapePolicy;
      cost: ClusterCostReader;
      /** Entities per catalog request of the summary (default CATALOG_PAGE). */
      pageSize?: number;
    },
  ) {}

  static create(deps: {
    catalog: CatalogService;
    auth: AuthService;
    policy: ShipshapePolicy;
    cost: ClusterCostReader;
    pageSize?: number;
  }) {
    return new OwnershipService(deps);
  }

  async entityOwnership(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<OwnershipView> {
    const { catalog, auth, policy, cost } = this.deps;
    const entity = await catalog.getEntityByRef(ref, { credentials });
    if (!entity) {
      throw new NotFoundError(`No entity ${stringifyEntityRef(ref)}`);
    }
    const entityRef = stringifyEntityRef(entity);
    const service = await auth.getOwnServiceCredentials();
    const ownerRef = ownerRefOf(entity);
    const systemRef = systemRefOf(entity);
    const [ownerExists, ownerVisible, system] = await Promise.all([
      ownerRef?.ok
        ? catalog.getEntityByRef(ownerRef.ref, { credentials: service })
        : undefined,
      ownerRef?.ok
        ? catalog.getEntityByRef(ownerRef.ref, { credentials })
        : undefined,
      systemRef
        ? catalog.getEntityByRef(systemRef, { credentials })
        : undefined,
    ]);
    const report = checkWithLookups(
      policy,
      entity,
      ownerExists?.kind,
      system ?? undefined,
    );

    let owner: OwnershipView['owner'];
    if (ownerRef?.ok) {
      const { kind } = parseEntityRef(ownerRef.ref);
      owner = {
        ...contactOf(ownerVisible, ownerRef.ref, kind),
        exists: Boolean(ownerExists),
      };
      const parent =
        ownerVisible?.kind === 'Group'
          ? (ownerVisible.spec?.parent as string | undefined)
          : undefined;
      if (parent) {
        const parentRef = stringifyEntityRef(
          parseEntityRef(parent, {
            defaultKind: 'group',
            defaultNamespace: ownerVisible!.metadata.namespace ?? 'default',
          }),
        );
        const parentEntity = await catalog.getEntityByRef(parentRef, {
          credentials,
        });
        owner.parent = contactOf(parentEntity, parentRef, 'group');
      }
    }

    const id = kubernetesIdOf(entity);
    let costView: CostView;
    let labels: OwnershipView['labels'];
    if (!cost.configured) {
      costView = { status: 'no-cluster' };
      labels = { status: 'no-cluster', objects: [] };
    } else if (!id) {
      const message = `${entityRef} has no ${ECOSYSTEM_ANNOTATIONS.kubernetesId} annotation, so none of its workloads can be found`;
      costView = { status: 'not-deployed', message };
      labels = { status: 'not-deployed', objects: [] };
    } else {
      // read now, not the summary's kept snapshot: the card re-reads on workload signals
      const snapshot = await cost.snapshotOf(id);
      if (
        snapshot.errors.length &&
        !snapshot.pods.length &&
        !snapshot.objects.length
      ) {
        costView = {
          status: 'error',
          message: snapshot.errors.map(e => e.message).join('; '),
        };
      } else {
        costView = {
          status: 'ok',
          currency: 'USD',
          prices: cost.prices,
          errors: snapshot.errors,
          ...costOfPods(cost.prices, podsOf(cost, snapshot.pods, entity)),
        };
      }
      labels = {
        status: 'ok',
        objects: labelFindings(snapshot, entity, report),
      };
    }
    return {
      entityRef,
      owner,
      tags: report.tags,
      violations: report.violations,
      cost: costView,
      labels,
    };
  }

  /**
   * Totals per cost center and per owner over every entity of the policy's kinds the caller may
   * read. The catalog is read a page at a time (`catalogPages`); each page's owners (with the
   * plugin's credentials) and systems (with the caller's) are looked up by ref, once per request;
   * the clusters' pods come summed per workload (ClusterCostReader). Memory: one catalog page,
   * the rows, and the owners, systems and workloads seen, never the whole catalog or every pod.
   */
  async summary(
    credentials: BackstageCredentials,
    page: { limit: number; offset: number },
  ): Promise<OwnershipSummary> {
    const { catalog, auth, policy, cost } = this.deps;
    const snapshot = cost.configured ? await cost.snapshot() : undefined;
    const podsById = new Map<string, PodRequests[]>();
    for (const pods of snapshot?.pods ?? []) {
      const list = podsById.get(pods.kubernetesId);
      if (list) list.push(pods);
      else podsById.set(pods.kubernetesId, [pods]);
    }
    const service = await auth.getOwnServiceCredentials();
    // Owner ref -> its kind when it is a group or user the catalog has; system ref -> entity.
    const ownerKinds = new Map<string, string | undefined>();
    const systems = new Map<string, Entity | undefined>();
    const lookUp = async <T>(
      known: Map<string, T | undefined>,
      refs: string[],
      read: (refs: string[]) => Promise<Array<Entity | undefined>>,
      value: (entity: Entity | undefined) => T | undefined,
    ) => {
      const missing = [...new Set(refs)].filter(r => !known.has(r));
      if (!missing.length) return;
      const found = await read(missing);
      missing.forEach((ref, i) => known.set(ref, value(found[i])));
    };
    const costCenterName = SHIPSHAPE_ANNOTATIONS.costCenter.name;
    const byCostCenter = new Map<string, Row>();
    const byOwner = new Map<string, Row>();
    const totals: Row = {
      key: '',
      entities: 0,
      violations: 0,
      entitiesWithViolations: 0,
    };
    const withCost = Boolean(snapshot);
    if (withCost) totals.monthlyUsd = 0;
    const bump = (
      map: Map<string, Row>,
      key: string,
      violations: number,
      usd?: number,
    ) => {
      const row = map.get(key) ?? {
        key,
        entities: 0,
        violations: 0,
        entitiesWithViolations: 0,
        ...(withCost ? { monthlyUsd: 0 } : {}),
      };
      row.entities += 1;
      row.violations += violations;
      row.entitiesWithViolations += violations ? 1 : 0;
      if (usd !== undefined && row.monthlyUsd !== undefined)
        row.monthlyUsd += usd;
      map.set(key, row);
    };
    // The caller's credentials: the catalog leaves out what they may not read.
    for await (const entities of catalogPages(
      catalog,
      {
        filter: { kind: policy.kinds },
        fields: SUMMARY_FIELDS,
        orderFields: { field: 'metadata.name', order: 'asc' },
      },
      credentials,
      this.deps.pageSize,
    )) {
      const owners = entities.flatMap(e => {
        const ref = ownerRefOf(e);
        return ref?.ok ? [ref.ref] : [];
      });
      const systemRefs = entities.flatMap(e => systemRefOf(e) ?? []);
      await Promise.all([
        lookUp(
          ownerKinds,
          owners,
          async refs =>
            (
              await catalog.getEntitiesByRefs(
                { entityRefs: refs, fields: ['kind', 'metadata.name'] },
                { credentials: service },
              )
            ).items,
          // only groups and users own (the policy's owner-exists rule)
          e => (e && ['Group', 'User'].includes(e.kind) ? e.kind : undefined),
        ),
        lookUp(
          systems,
          systemRefs,
          async refs =>
            (
              await catalog.getEntitiesByRefs(
                { entityRefs: refs, fields: SUMMARY_FIELDS },
                { credentials },
              )
            ).items,
          e => e,
        ),
      ]);
      for (const entity of entities) {
        const ownerRef = ownerRefOf(entity);
        const systemRef = systemRefOf(entity);
        const report = checkWithLookups(
          policy,
          entity,
          ownerRef?.ok ? ownerKinds.get(ownerRef.ref) : undefined,
          systemRef ? systems.get(systemRef) : undefined,
        );
        const id = kubernetesIdOf(entity);
        let usd: number | undefined;
        if (snapshot && id) {
          usd = costOfPods(
            cost.prices,
            podsOf(cost, podsById.get(id) ?? [], entity),
          ).monthlyUsd;
        } else if (snapshot) usd = 0;
        const n = report.violations.length;
        totals.entities += 1;
        totals.violations += n;
        totals.entitiesWithViolations += n ? 1 : 0;
        if (usd !== undefined && totals.monthlyUsd !== undefined)
          totals.monthlyUsd += usd;
        const cc =
          report.tags.find(t => t.name === costCenterName)?.value ?? '';
        bump(byCostCenter, cc, n, usd);
        bump(byOwner, report.ownerRef ?? '', n, usd);
      }
    }
    const rows = (map: Map<string, Row>) =>
      [...map.values()].sort(
        (a, b) =>
          (b.monthlyUsd ?? 0) - (a.monthlyUsd ?? 0) ||
          b.entities - a.entities ||
          a.key.localeCompare(b.key),
      );
    const strip = ({ key: _key, ...row }: Row) => ({
      ...row,
      ...(row.monthlyUsd !== undefined
        ? { monthlyUsd: Math.round(row.monthlyUsd * 100) / 100 }
        : {}),
    });
    const ccRows = rows(byCostCenter);
    const ownerRows = rows(byOwner);
    const { limit, offset } = page;
    return {
      totals: strip(totals),
      costCenters: {
        items: ccRows.slice(offset, offset + limit).map(r => ({
          ...(r.key ? { costCenter: r.key } : {}),
          ...strip(r),
        })),
        totalCount: ccRows.length,
      },
      owners: {
        items: ownerRows.slice(offset, offset + limit).map(r => ({
          ...(r.key ? { owner: r.key } : {}),
          ...strip(r),
        })),
        totalCount: ownerRows.length,
      },
      cost: !snapshot
        ? { status: 'no-cluster' }
        : {
            status:
              snapshot.errors.length && !snapshot.pods.length ? 'error' : 'ok',
            errors: snapshot.errors,
            prices: cost.prices,
          },
      limit,
      offset,
    };
  }
}

function contactOf(
  entity: Entity | undefined,
  ref: string,
  kind: string,
): Contact {
  const profile = (entity?.spec?.profile ?? {}) as {
    displayName?: string;
    email?: string;
  };
  return {
    ref,
    kind: entity?.kind ?? kind,
    ...(typeof profile.displayName === 'string'
      ? { displayName: profile.displayName }
      : {}),
    ...(typeof profile.email === 'string' ? { email: profile.email } : {}),
  };
}

/**
 * Which of the entity's Kubernetes objects lack the Shipshape labels, or carry values that
 * disagree with the catalog (service name, owner group name, cost center, tier).
 */
function labelFindings(
  snapshot: ClusterSnapshot,
  entity: Entity,
  report: PolicyReport,
): LabelFinding[] {
  const id = kubernetesIdOf(entity);
  const ns = namespaceOf(entity);
  const tag = (annotation: string) =>
    report.tags.find(t => t.name === annotation)?.value;
  const expected: Record<string, string | undefined> = {
    [SHIPSHAPE_LABELS.service]: entity.metadata.name,
    [SHIPSHAPE_LABELS.owner]: report.ownerRef
      ? parseEntityRef(report.ownerRef).name
      : undefined,
    [SHIPSHAPE_LABELS.costCenter]: tag(SHIPSHAPE_ANNOTATIONS.costCenter.name),
    [SHIPSHAPE_LABELS.environment]: undefined,
    [SHIPSHAPE_LABELS.tier]: tag(SHIPSHAPE_ANNOTATIONS.tier.name),
  };
  const findings: LabelFinding[] = [];
  for (const obj of snapshot.objects) {
    if (obj.kubernetesId !== id || (ns && obj.namespace !== ns)) continue;
    const missing: string[] = [];
    const mismatched: LabelFinding['mismatched'] = [];
    for (const label of Object.values(SHIPSHAPE_LABELS)) {
      const actual = obj.labels[label];
      if (actual === undefined || actual === '') missing.push(label);
      else if (expected[label] !== undefined && expected[label] !== actual) {
        mismatched.push({ label, expected: expected[label]!, actual });
      }
    }
    if (missing.length || mismatched.length) {
      findings.push({
        cluster: obj.cluster,
        namespace: obj.namespace,
        kind: obj.kind,
        name: obj.name,
        missing,
        mismatched,
      });
    }
  }
  return findings.sort((a, b) =>
    `${a.namespace}/${a.kind}/${a.name}`.localeCompare(
      `${b.namespace}/${b.kind}/${b.name}`,
    ),
  );
}
