import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ECOSYSTEM_ANNOTATIONS,
  SHIPSHAPE_ANNOTATIONS,
  TIERS,
  evaluateDrReadiness,
  readAnnotation,
} from '@shipshape/plugin-shipshape-common';
import { Knex } from 'knex';
import { z } from 'zod';
import { BackupConfig, targetOfEntity } from '../backup/config';
import { isoOf, numberOf } from '../rows';
import { GRADED_ENVIRONMENT } from './service';

/** A recorded grade, or `none` when the entity has not been graded yet. */
export type OverviewGrade = 'pass' | 'warn' | 'fail' | 'none';

/**
 * One service in the DR overview: its last recorded grade, its backups and drills against its
 * objectives (times, statuses and durations only: never a host, path, storage key or error).
 */
export interface DrOverviewRow {
  entityRef: string;
  name: string;
  title?: string;
  /** The entity page's path in the portal (/catalog/:namespace/:kind/:name). */
  link: string;
  /** Entity refs (group:default/team-a, system:default/payments). */
  owner?: string;
  system?: string;
  tier?: string;
  grade: OverviewGrade;
  /** When the current grade was first recorded. */
  gradedAt?: string;
  /** Effective objectives in seconds: declared, else the tier's default. */
  rpoSeconds?: number;
  rtoSeconds?: number;
  /** The newest backup the portal stored and verified. */
  lastBackupAt?: string;
  backupAgeSeconds?: number;
  /** The backup age is within the RPO (absent when there is no backup or no RPO). */
  backupWithinRpo?: boolean;
  lastDrillAt?: string;
  lastDrillStatus?: 'running' | 'passed' | 'failed';
  restoreMs?: number;
  /** The last drill's restore took no longer than the RTO. */
  restoreWithinRto?: boolean;
}

export interface DrOverview {
  rows: DrOverviewRow[];
  /** Rows matching the filters (before limit/offset). */
  total: number;
  /** Services the caller may read that were looked at. */
  entities: number;
  /** The catalog has more such services than one overview reads. */
  truncated: boolean;
  /** Every owner among the services looked at, for a filter's choices. */
  owners: string[];
  evaluatedAt: string;
}

export const OVERVIEW_SORTS = [
  'grade',
  'name',
  'owner',
  'tier',
  'system',
  'backupAge',
  'lastDrill',
  'restore',
] as const;

/** At most this many services are read from the catalog for one overview. */
export const MAX_OVERVIEW_ENTITIES = 5000;
const CATALOG_PAGE = 1000;

/** The query of GET /dr/overview; a bad value is refused naming the parameter. */
const overviewQuery = z
  .object({
    owner: z.string().min(1).max(255).optional(),
    tier: z.enum([...TIERS, 'none']).optional(),
    grade: z.enum(['pass', 'warn', 'fail', 'none']).optional(),
    sort: z.enum(OVERVIEW_SORTS).default('grade'),
    order: z.enum(['asc', 'desc']).default('asc'),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_OVERVIEW_ENTITIES)
      .default(500),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();

export type DrOverviewQuery = z.infer<typeof overviewQuery>;

/** Parses GET /dr/overview's query; InputError naming each bad parameter. */
export function parseOverviewQuery(query: unknown): DrOverviewQuery {
  const result = overviewQuery.safeParse(query);
  if (!result.success) {
    const issues = result.error.issues.map(i =>
      i.code === 'unrecognized_keys'
        ? `unknown parameter ${i.keys.join(', ')}`
        : `${i.path.join('.')}: ${i.message}`,
    );
    throw new InputError(`Invalid query: ${issues.join('; ')}`);
  }
  return result.data;
}

// Worst first: a failing grade, then a warning, then one never recorded, then a pass.
const GRADE_ORDER: Record<OverviewGrade, number> = {
  fail: 0,
  warn: 1,
  none: 2,
  pass: 3,
};

const annotation = (name: string) => `metadata.annotations.${name}`;

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
      evaluatedAt: now.toISOString(),
    };
  }

  /**
   * The components the caller may read (the catalog filters with their credentials) that name
   * a backup target, a kubernetes-id or a tier; in pages, at most MAX_OVERVIEW_ENTITIES.
   */
  private async services(credentials: BackstageCredentials) {
    const filter = [
      SHIPSHAPE_ANNOTATIONS.backupTarget.name,
      ECOSYSTEM_ANNOTATIONS.kubernetesId,
      SHIPSHAPE_ANNOTATIONS.tier.name,
    ].map(name => ({
      kind: 'component',
      [annotation(name)]: CATALOG_FILTER_EXISTS,
    }));
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
    let cursor: string | undefined;
    let truncated = false;
    do {
      const page = await this.deps.catalog.queryEntities(
        cursor
          ? { cursor, fields, limit: CATALOG_PAGE }
          : {
              filter,
              fields,
              limit: CATALOG_PAGE,
              orderFields: { field: 'metadata.name', order: 'asc' },
            },
        { credentials },
      );
      entities.push(...page.items);
      cursor = page.pageInfo.nextCursor;
      if (entities.length >= MAX_OVERVIEW_ENTITIES) {
        truncated = Boolean(cursor) || entities.length > MAX_OVERVIEW_ENTITIES;
        entities.length = Math.min(entities.length, MAX_OVERVIEW_ENTITIES);
        break;
      }
    } while (cursor);
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
        status: 'running' | 'passed' | 'failed';
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

  /** The start of the newest verified backup of each target: one query. */
  private async latestVerifiedBackups(targets: string[]) {
    if (!targets.length) return new Map<string, string>();
    const rows: Array<{ target: string; started_at: unknown }> = await this.deps
      .knex('shipshape_backups')
      .where({ status: 'verified' })
      .whereIn('target', targets)
      .groupBy('target')
      .select('target')
      .max({ started_at: 'started_at' });
    return new Map(rows.map(r => [r.target, isoOf(r.started_at)!] as const));
  }

  /** The newest restore drill of each target (its status and restore time): one query. */
  private async latestDrills(targets: string[]) {
    type Drill = {
      startedAt: string;
      status: 'running' | 'passed' | 'failed';
      restoreMs?: number;
    };
    const result = new Map<string, Drill>();
    if (!targets.length) return result;
    const { knex } = this.deps;
    const newest = knex('shipshape_restore_drills')
      .whereIn('target', targets)
      .groupBy('target')
      .select('target')
      .max({ started_at: 'started_at' });
    const rows = await knex('shipshape_restore_drills as d')
      .join(newest.as('n'), function on() {
        this.on('d.target', 'n.target').andOn('d.started_at', 'n.started_at');
      })
      .select('d.target', 'd.status', 'd.started_at', 'd.restore_ms')
      .orderBy('d.id');
    for (const r of rows) {
      result.set(r.target, {
        startedAt: isoOf(r.started_at)!,
        status: r.status,
        restoreMs: numberOf(r.restore_ms),
      });
    }
    return result;
  }
}
