import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  NotificationSendOptions,
  NotificationService,
} from '@backstage/plugin-notifications-node';
import {
  DrReadiness,
  ReadinessCheck,
  readinessChanges,
} from '@shipshape/plugin-shipshape-common';
import { GradeRecord, GradeStore, RecordedGrade } from '../readiness/grades';
import { entityPageLink, ownerOf } from './service';

type Status = DrReadiness['status'];
const RANK: Record<Status, number> = { pass: 0, warn: 1, fail: 2 };
const rank = (s: Status | undefined) => RANK[s ?? 'pass'];

/** What a newly recorded grade means for the owner; see `gradeNotices`. */
export interface GradeNotice {
  topic: 'rpo' | 'dr-grade';
  /** rpo: breached / recovered; dr-grade: dropped / recovered (to a better, maybe not pass, grade). */
  change: 'breached' | 'dropped' | 'recovered';
  /** The checks that made the change, as graded now. */
  checks: ReadinessCheck[];
  /** dr-grade recovered: the grade is the one it had before it dropped (else only better). */
  back?: boolean;
}

const freshness = (g: GradeRecord | undefined) =>
  g?.checks.find(c => c.id === 'backup-fresh')?.status;

/**
 * Whether another notice already tells of a check's change, so the grade's own notice leaves
 * it out: backup-fresh failing or recovering (the RPO notice) and drill-recent failing or
 * recovering from a failure (the restore drill's own operation notice).
 */
const toldElsewhere = (c: { id: string; from?: Status; to?: Status }) =>
  (c.id === 'backup-fresh' || c.id === 'drill-recent') &&
  (c.from === 'fail' || c.to === 'fail');

/**
 * What to tell an entity's owner about its newest recorded grade, from the recorded grades
 * (newest first, `recent[0]` the one just recorded) and the checks as graded now:
 *
 * - RPO breached: backup-fresh went from pass or warn to fail; recovered: it went from fail back
 *   to pass or warn, after a breach (not when it never passed, e.g. a new service's first backup).
 * - DR grade dropped: the overall grade got worse than the grade recorded before it, by a check
 *   no other notice tells of; recovered: it got better again, back to (or above) a grade it had
 *   before the drop, by such a check.
 *
 * A first grade says nothing: there is nothing it dropped from.
 */
export function gradeNotices(
  recent: GradeRecord[],
  readiness: DrReadiness,
): GradeNotice[] {
  const [now, before] = recent;
  if (!now || !before) return [];
  const current = (ids: string[]) =>
    readiness.checks.filter(c => ids.includes(c.id));
  const notices: GradeNotice[] = [];

  const fresh = freshness(now);
  const wasFresh = freshness(before);
  if (fresh === 'fail' && (wasFresh === 'pass' || wasFresh === 'warn')) {
    notices.push({
      topic: 'rpo',
      change: 'breached',
      checks: current(['backup-fresh']),
    });
  } else if (wasFresh === 'fail' && fresh && fresh !== 'fail') {
    const entered = recent.slice(1).find(g => freshness(g) !== 'fail');
    if (freshness(entered)) {
      notices.push({
        topic: 'rpo',
        change: 'recovered',
        checks: current(['backup-fresh']),
      });
    }
  }

  type Recorded = Array<Pick<ReadinessCheck, 'id' | 'status'>>;
  const changes = readinessChanges(
    before.checks as Recorded,
    now.checks as Recorded,
  );
  if (rank(now.status) > rank(before.status)) {
    const worse = changes.filter(
      c => rank(c.to) > rank(c.from) && !toldElsewhere(c),
    );
    if (worse.length) {
      notices.push({
        topic: 'dr-grade',
        change: 'dropped',
        checks: current(worse.map(c => c.id)),
      });
    }
  } else if (rank(now.status) < rank(before.status)) {
    // only after a drop: some grade before the worse streak was as good as this one
    const entered = recent
      .slice(1)
      .find(g => rank(g.status) <= rank(now.status));
    const better = changes.filter(
      c => rank(c.to) < rank(c.from) && !toldElsewhere(c),
    );
    if (entered && better.length) {
      notices.push({
        topic: 'dr-grade',
        change: 'recovered',
        checks: current(better.map(c => c.id)),
        back: entered.status === now.status,
      });
    }
  }
  return notices;
}

/**
 * Tells an entity's owner (catalog `spec.owner`) through Backstage notifications when a
 * recorded DR grade breaches the RPO or drops, and when it recovers (`gradeNotices`). One scope
 * per entity, environment and topic, so the notifications backend keeps one notification per
 * incident and updates it (the recovery) instead of adding one per grading.
 */
export class GradeNotifier {
  private constructor(
    private readonly deps: {
      notifications: NotificationService;
      catalog: CatalogService;
      auth: AuthService;
      logger: LoggerService;
      grades: GradeStore;
      /** Takes storage locations and hosts out of a check's message. */
      redact: (message: string) => string;
    },
  ) {}

  static create(deps: GradeNotifier['deps']): GradeNotifier {
    return new GradeNotifier(deps);
  }

  /** The grade store's listener: sends what `gradeNotices` finds; never throws. */
  async gradeRecorded(grade: RecordedGrade): Promise<void> {
    try {
      for (const notice of await this.noticesOf(grade)) {
        await this.deps.notifications.send(notice);
      }
    } catch (e) {
      this.deps.logger.warn(
        `Notifying the owner of ${grade.entityRef} about its DR grade failed: ${e}`,
      );
    }
  }

  /** What to send about a recorded grade, and to whom. */
  async noticesOf({
    entityRef,
    environment,
    readiness,
  }: RecordedGrade): Promise<NotificationSendOptions[]> {
    const recent = await this.deps.grades.recent(entityRef, environment);
    const notices = gradeNotices(recent, readiness);
    if (!notices.length) return [];
    const owner = await ownerOf(this.deps, entityRef, 'DR grade');
    if (!owner) return [];
    const where = `${parseEntityRef(entityRef).name} in ${environment}`;
    const previous = recent[1].status;
    return notices.map(({ topic, change, checks, back }) => {
      let title: string;
      if (topic === 'rpo') {
        title =
          change === 'breached'
            ? `RPO breached: ${where} has no verified backup within its RPO`
            : `${where} is within its RPO again`;
      } else {
        title =
          change === 'dropped'
            ? `DR readiness of ${where} dropped from ${previous} to ${readiness.status}`
            : `DR readiness of ${where} ${
                back ? 'is back to' : 'improved to'
              } ${readiness.status}`;
      }
      const text = checks
        .map(c => `${c.message}${c.fix ? `. Fix: ${c.fix}` : ''}`)
        .join('; ');
      const bad = change !== 'recovered';
      return {
        recipients: { type: 'entity', entityRef: owner },
        payload: {
          title,
          description: this.deps
            .redact(bad ? text : `Recovered: ${text}`)
            .slice(0, 1000),
          link: entityPageLink(entityRef),
          severity: bad && readiness.status === 'fail' ? 'high' : 'normal',
          topic: `shipshape-${topic}`,
          scope: `shipshape:${topic}:${entityRef.toLocaleLowerCase(
            'en-US',
          )}:${environment}`,
          metadata: {
            grade: readiness.status,
            checks: checks.map(c => `${c.id}:${c.status}`).join(','),
          },
        },
      };
    });
  }
}
