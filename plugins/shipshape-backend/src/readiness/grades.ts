import {
  DrReadiness,
  ReadinessChange,
  readinessChanges,
} from '@shipshape/plugin-shipshape-common';
import { Knex } from 'knex';
import { ChangeNotifier } from '../operations/changes';

export interface GradeRecord {
  status: DrReadiness['status'];
  checks: Array<{ id: string; status: DrReadiness['status'] }>;
  gradedAt: string;
}

export interface GradeHistory {
  /** When the current grade was first recorded (now, when it is not recorded yet). */
  gradedAt: string;
  /** The grade before it, if any. */
  previous?: { status: DrReadiness['status']; gradedAt: string };
  /** The checks whose status changed from the previous grade to the current one. */
  changes: ReadinessChange[];
}

/** A grade just recorded, with its checks' messages. */
export interface RecordedGrade {
  entityRef: string;
  environment: string;
  readiness: DrReadiness;
}

const TABLE = 'shipshape_dr_grades';

function rowToGrade(r: any): GradeRecord {
  return {
    status: r.status,
    checks: JSON.parse(r.checks),
    gradedAt: new Date(r.graded_at).toISOString(),
  };
}

const gradeOf = (readiness: DrReadiness) => ({
  status: readiness.status,
  checks: readiness.checks.map(c => ({ id: c.id, status: c.status })),
});

/**
 * The recorded grades of one entity in one environment (table shipshape_dr_grades): a grade
 * is recorded when it differs (overall status or any check's status) from the last one.
 */
export class GradeStore {
  /** News of a newly recorded grade, by entity ref (for signals). */
  readonly changes = new ChangeNotifier();
  private readonly recordedListeners: Array<(grade: RecordedGrade) => void> =
    [];

  constructor(private readonly knex: Knex) {}

  /** Calls `listener` with each grade this process records (owner notifications). */
  onRecorded(listener: (grade: RecordedGrade) => void): void {
    this.recordedListeners.push(listener);
  }

  /** The entity's newest recorded grades in an environment, newest first. */
  async recent(
    entityRef: string,
    environment: string,
    limit = 50,
  ): Promise<GradeRecord[]> {
    const rows = await this.knex(TABLE)
      .where({ entity_ref: entityRef, environment })
      .orderBy('id', 'desc')
      .limit(limit);
    return rows.map(rowToGrade);
  }

  /**
   * Where `readiness` stands against the recorded grades, writing nothing: when it equals the
   * last recorded grade, that grade's time and the change from the one before; otherwise now,
   * and the change from the last recorded grade. `isRecorded` says which.
   */
  async history(
    entityRef: string,
    environment: string,
    readiness: DrReadiness,
    now = new Date(),
  ): Promise<GradeHistory & { isRecorded: boolean }> {
    const current = gradeOf(readiness);
    const [latest, before] = (
      await this.knex(TABLE)
        .where({ entity_ref: entityRef, environment })
        .orderBy('id', 'desc')
        .limit(2)
    ).map(rowToGrade);
    const changesFrom = (
      from: GradeRecord | undefined,
      to: GradeRecord['checks'],
    ) => (from ? readinessChanges(from.checks as any, to as any) : []);
    const summary = (g?: GradeRecord) =>
      g && { status: g.status, gradedAt: g.gradedAt };
    if (
      latest &&
      latest.status === current.status &&
      changesFrom(latest, current.checks).length === 0
    ) {
      return {
        isRecorded: true,
        gradedAt: latest.gradedAt,
        previous: summary(before),
        changes: changesFrom(before, latest.checks),
      };
    }
    return {
      isRecorded: false,
      gradedAt: now.toISOString(),
      previous: summary(latest),
      changes: changesFrom(latest, current.checks),
    };
  }

  /** Records `readiness` when it differs from the last recorded grade; returns its history. */
  async record(
    entityRef: string,
    environment: string,
    readiness: DrReadiness,
    now = new Date(),
  ): Promise<GradeHistory> {
    const { isRecorded, ...history } = await this.history(
      entityRef,
      environment,
      readiness,
      now,
    );
    if (!isRecorded) {
      const current = gradeOf(readiness);
      await this.knex(TABLE).insert({
        entity_ref: entityRef,
        environment,
        status: current.status,
        checks: JSON.stringify(current.checks),
        graded_at: now,
      });
      this.changes.notify(entityRef);
      for (const listener of this.recordedListeners) {
        try {
          listener({ entityRef, environment, readiness });
        } catch {
          // a listener never fails the grade it heard of
        }
      }
    }
    return history;
  }
}
