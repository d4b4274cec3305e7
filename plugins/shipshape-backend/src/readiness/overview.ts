import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  evaluateDrReadiness,
  readAnnotation,
} from '@shipshape/plugin-shipshape-common';
import { Knex } from 'knex';
import { BackupConfig, targetOfEntity } from '../backup/config';
import { catalogPages } from '../catalogPages';
import { isoOf, numberOf } from '../rows';
import { RunStatus } from '../backup/store';
import { GetDrOverview } from '../schema/openapi';
import { DrOverview, DrOverviewRow } from '../schema/openapi/generated/models';
import { DR_SERVICES_FILTER, GRADED_ENVIRONMENT } from './service';

/** A recorded grade, or `none` when the entity has not been graded yet. */
export type OverviewGrade = DrOverviewRow['grade'];

/** At most this many services are read from the catalog for one overview. */
export const MAX_OVERVIEW_ENTITIES = 5000;

/**
 * The query of GET /dr/overview (openapi.yaml validates it before the router sees it), with
 * the defaults applied: worst grade first, 500 rows from the first.
 */
export type DrOverviewQuery = GetDrOverview['query'] &
  Required<Pick<GetDrOverview['query'], 'sort' | 'order' | 'limit' | 'offset'>>;

/** GET /dr/overview's query with its defaults. */
export function overviewQueryWithDefaults(
  query: GetDrOverview['query'],
): DrOverviewQuery {
  return {
    ...query,
    sort: query.sort ?? 'grade',
    order: query.order ?? 'asc',
    limit: query.limit ?? 500,
    offset: query.offset ?? 0,
  };
}

// Worst first: a failing grade, then a warning, then one never recorded, then a pass.
const GRADE_ORDER: Record<OverviewGrade, number> = {
  fail: 0,
  warn: 1,
  none: 2,
  pass: 3,
};

function refOf(
  value: unknown,
  defaultKind: string,
  defaultNamespace: string,
): string | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  try {
    return stringifyEntityRef(
      parseEntityRef(value, { defaultKind, defaultNamespace }),
    );
  } catch {
    return undefined;
  }
}

/** Missing values sort last in either order. */
function compareMaybe<T extends string | number>(
  a: T | undefined,
  b: T | undefined,
  desc: boolean,
): number {
  if (a === undefined || b === undefined) {
    return (a === undefined ? 1 : 0) - (b === undefined ? 1 : 0);
  }
  const c =
    typeof a === 'number'
      ? a - (b as number)
      : (a as string).localeCompare(b as string);
  return desc ? -c : c;
}

const SORT_KEYS: Record<
  DrOverviewQuery['sort'],
  (r: DrOverviewRow) => string | number | undefined
> = {
  grade: r => GRADE_ORDER[r.grade],
  name: r => r.name,
  owner: r => r.owner,
  tier: r => r.tier,
  system: r => r.system,
  // no verified backup is the oldest of all
  backupAge: r => r.backupAgeSeconds ?? Number.MAX_SAFE_INTEGER,
  lastDrill: r => r.lastDrillAt,
  restore: r => r.restoreMs,
};

/**
 * The fleet's DR at a glance (GET /dr/overview): every service the caller may read with its last
 * recorded grade, backup age against its RPO and last drill against its RTO. Reads only: a
 * grade is never computed here (ReadinessService records them); one query reads every latest
 * grade, one the newest verified backup of every configured target, one the newest drill of
 * every configured target, all three while the catalog answers.
 */
export class DrOverviewService {
  private constructor(
    private readonly deps: {
      knex: Knex;
      backup: BackupConfig;
      catalog: CatalogService;
    },
  ) {}

  static create(deps: DrOverviewService['deps']): DrOverviewService {
    return new DrOverviewService(deps);
  }

  async overview(
    query: DrOverviewQuery,
    credentials: BackstageCredentials,
    now = new Date(),
  ): Promise<DrOverview> {
    // The catalog and the three reads of the plugin's tables at once: the records are read for
    // every configured target (the entities' own are among them), not per entity.
    const configured = [...this.deps.backup.targets.keys()];
    const [{ entities, truncated }, grades, backups, drills] =
      await Promise.all([
        this.services(credentials),
        this.latestGrades(),
        this.latestVerifiedBackups(configured),
        this.latestDrills(configured),
      ]);
    const refs = entities.map(e =>
      stringifyEntityRef(e).toLocaleLowerCase('en-US'),
    );
    const targets = new Map<string, string>();
    entities.forEach((e, i) => {
      try {
        const target = targetOfEntity(
          this.deps.backup,
          refs[i],
          e.metadata.annotations,
        );
        targets.set(refs[i], target.name);
      } catch {
        // no usable target: no backups to show (the grade's backup-target check says why)
      }
    });

    const rows = entities.map((entity, i) =>
      this.row(entity, refs[i], now, {
        grade: grades.get(refs[i]),
        backupAt: backups.get(targets.get(refs[i]) ?? ''),
        drill: drills.get(targets.get(refs[i]) ?? ''),
      }),
    );
    const owners = [
      ...new Set(rows.flatMap(r => (r.owner ? [r.owner] : []))),
    ].sort();

    const owner = query.owner && refOf(query.owner, 'group', 'default');
    const matching = rows.filter(
      r =>
        (!query.owner || r.owner === owner) &&
        (!query.tier || (r.tier ?? 'none') === query.tier) &&
        (!query.grade || r.grade === query.grade),
    );
    const key = SORT_KEYS[query.sort];
    const desc = query.order === 'desc';
    matching.sort(
      (a, b) =>
        compareMaybe(key(a), key(b), desc) ||
        a.entityRef.localeCompare(b.entityRef),
    );
    return {
      rows: matching.slice(query.offset, query.offset + query.limit),
      total: matching.length,
      entities: entities.length,
      truncated,
      owners,
      // no target configured: no service has backups or drills to show, and the page says why
      ...(configured.length
        ? {}
        : { unconfigured: ['shipshape.backup.targets'] }),
      evaluatedAt: now.toISOString(),
    };
  }

  /**
   * The DR services the caller may read (DR_SERVICES_FILTER, the one the scheduled grading pass
   * uses; the catalog filters with their credentials): components that name a backup target, a
   * kubernetes-id or a tier; in pages, at most MAX_OVERVIEW_ENTITIES.
   */
  private async services(credentials: BackstageCredentials) {
    const fields = [
      'kind',
      'metadata.namespace',
      'metadata.name',
      'metadata.title',
      'metadata.annotations',
      'spec.owner',
      'spec.system',
      'spec.lifecycle',
    ];
    const entities: Entity[] = [];
    let truncated = false;
    for await (const page of catalogPages(
      this.deps.catalog,
      {
        filter: DR_SERVICES_FILTER,
        fields,
        orderFields: { field: 'metadata.name', order: 'asc' },
      },
      credentials,
    )) {
      entities.push(...page);
      if (entities.length > MAX_OVERVIEW_ENTITIES) {
        truncated = true;
        entities.length = MAX_OVERVIEW_ENTITIES;
        break;
      }
    }
    return { entities, truncated };
  }

  private row(
    entity: Entity,
    entityRef: string,
    now: Date,
    facts: {
      grade?: { status: OverviewGrade; gradedAt: string };
      backupAt?: string;
      drill?: {
        startedAt: string;
        status: RunStatus;
        restoreMs?: number;
      };
    },
  ): DrOverviewRow {
    const namespace = entity.metadata.namespace ?? 'default';
    const tier = readAnnotation(entity, 'tier');
    // The objectives as the grading rules take them (declared, else the tier's defaults).
    const { rpoSeconds, rtoSeconds } = evaluateDrReadiness({ entity, now });
    const { grade, backupAt, drill } = facts;
    const backupAgeSeconds =
      backupAt === undefined
        ? undefined
        : Math.max(
            0,
            Math.round((now.getTime() - Date.parse(backupAt)) / 1000),
          );
    return {
      entityRef,
      name: entity.metadata.name,
      title: entity.metadata.title,
      link: `/catalog/${encodeURIComponent(namespace)}/${encodeURIComponent(
        entity.kind.toLocaleLowerCase('en-US'),
      )}/${encodeURIComponent(entity.metadata.name)}`,
      owner: refOf(entity.spec?.owner, 'group', namespace),
      system: refOf(entity.spec?.system, 'system', namespace),
      tier: tier?.ok ? tier.value : undefined,
      grade: grade?.status ?? 'none',
      gradedAt: grade?.gradedAt,
      rpoSeconds,
      rtoSeconds,
      lastBackupAt: backupAt,
      backupAgeSeconds,
      backupWithinRpo:
        backupAgeSeconds === undefined || rpoSeconds === undefined
          ? undefined
          : backupAgeSeconds <= rpoSeconds,
      lastDrillAt: drill?.startedAt,
      lastDrillStatus: drill?.status,
      restoreMs: drill?.restoreMs,
      restoreWithinRto:
        drill?.restoreMs === undefined || rtoSeconds === undefined
          ? undefined
          : drill.restoreMs / 1000 <= rtoSeconds,
    };
  }

  /** The latest recorded grade of every entity in the graded environment: one query. */
  private async latestGrades() {
    const { knex } = this.deps;
    const latest = knex('shipshape_dr_grades')
      .where({ environment: GRADED_ENVIRONMENT })
      .groupBy('entity_ref')
      .max({ id: 'id' });
    const rows = await knex('shipshape_dr_grades as g')
      .join(latest.as('l'), 'g.id', 'l.id')
      .select('g.entity_ref', 'g.status', 'g.graded_at');
    return new Map(
      rows.map(r => [
        r.entity_ref as string,
        { status: r.status as OverviewGrade, gradedAt: isoOf(r.graded_at)! },
      ]),
    );
  }

  /** When the data of the newest verified backup of each target was taken: one query. */
  private async latestVerifiedBackups(targets: string[]) {
    if (!targets.length) return new Map<string, string>();
    const rows: Array<{ target: string; taken_at: unknown }> = await this.deps
      .knex('shipshape_backups')
      .whereNotNull('verified_at')
      .whereNull('deleted_at')
      .whereIn('target', targets)
      .groupBy('target')
      .select('target')
      .max({ taken_at: 'taken_at' });
    return new Map(rows.map(r => [r.target, isoOf(r.taken_at)!] as const));
  }

  /** The newest restore drill of each target (its run's status and restore time): one query. */
  private async latestDrills(targets: string[]) {
    type Drill = {
      startedAt: string;
      status: RunStatus;
      restoreMs?: number;
    };
    const result = new Map<string, Drill>();
    if (!targets.length) return result;
    const { knex } = this.deps;
    const drills = () =>
      knex('shipshape_restore_drills as d')
        .join('shipshape_operations as o', 'o.id', 'd.operation_id')
        .whereIn('d.target', targets);
    const newest = drills()
      .groupBy('d.target')
      .select('d.target as target')
      .max({ created_at: 'o.created_at' });
    const rows = await drills()
      .join(newest.as('n'), function on() {
        this.on('d.target', 'n.target').andOn('o.created_at', 'n.created_at');
      })
      .select('d.target', 'o.status', 'o.created_at', 'd.restore_ms')
      .orderBy('d.operation_id');
    for (const r of rows) {
      result.set(r.target, {
        startedAt: isoOf(r.created_at)!,
        status: r.status,
        restoreMs: numberOf(r.restore_ms),
      });
    }
    return result;
  }
}
