import {
  SHIPSHAPE_ANNOTATIONS,
  TIERS,
  Tier,
  parseDuration,
  readAnnotation,
} from './contract';
import { TIER_DEFAULTS } from './tiers';

/** One DR readiness rule's verdict, with what to do about it. */
export interface ReadinessCheck {
  id:
    | 'objectives-declared'
    | 'backup-target'
    | 'backup-fresh'
    | 'drill-recent'
    | 'drill-within-rto';
  status: 'pass' | 'warn' | 'fail';
  message: string;
  /** How to fix it; absent when it passes. */
  fix?: string;
}

export interface DrReadinessInput {
  entity: { metadata: { annotations?: Record<string, string> } };
  /** Start time (ISO) of the newest verified backup, if any. */
  lastVerifiedBackupAt?: string;
  /** The newest restore drill, if any. */
  lastDrill?: {
    startedAt: string;
    status: 'running' | 'passed' | 'failed';
    restoreMs?: number;
  };
  now?: Date;
}

export interface DrReadiness {
  status: 'pass' | 'warn' | 'fail';
  /** Effective objectives in seconds (declared, else the tier's default). */
  rpoSeconds?: number;
  rtoSeconds?: number;
  drillIntervalSeconds?: number;
  checks: ReadinessCheck[];
}

function human(raw: number): string {
  const seconds = Math.round(raw);
  if (seconds < 60) return `${seconds}s`;
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  return `${Math.round(seconds / 60)}m`;
}

type Objective = { seconds?: number; declared: boolean; error?: string };

function objective(
  input: DrReadinessInput,
  key: 'rpo' | 'rto' | 'restoreDrillInterval',
  tier: Tier | undefined,
): Objective {
  const parsed = readAnnotation(input.entity, key);
  if (parsed?.ok) return { seconds: parsed.value, declared: true };
  if (parsed && !parsed.ok) return { declared: false, error: parsed.error };
  if (tier) {
    const d = parseDuration(key, TIER_DEFAULTS[tier][key]);
    if (d.ok) return { seconds: d.value, declared: false };
  }
  return { declared: false };
}

/**
 * A measured duration (`measured` says what, in words) against an objective: warn when there
 * is none, pass within it, fail beyond it.
 */
function againstObjective(
  id: ReadinessCheck['id'],
  measured: string,
  seconds: number,
  against: {
    label: 'RPO' | 'RTO';
    annotation: string;
    seconds?: number;
    beyond: 'older' | 'longer';
    fix: (limit: number) => string;
  },
): ReadinessCheck {
  const { label, seconds: limit } = against;
  if (limit === undefined) {
    return {
      id,
      status: 'warn',
      message: `${measured}; no ${label} to compare with`,
      fix: `Declare ${against.annotation}`,
    };
  }
  if (seconds <= limit) {
    return {
      id,
      status: 'pass',
      message: `${measured} (${label} ${human(limit)})`,
    };
  }
  return {
    id,
    status: 'fail',
    message: `${measured}, ${against.beyond} than the ${label} of ${human(
      limit,
    )}`,
    fix: against.fix(limit),
  };
}

/**
 * The DR readiness rules: RPO/RTO declared, a backup target named, the last verified backup
 * younger than the RPO, the last drill passed within the drill interval and restored within
 * the RTO. Undeclared objectives fall back to the tier's defaults (warn).
 */
export function evaluateDrReadiness(input: DrReadinessInput): DrReadiness {
  const now = (input.now ?? new Date()).getTime();
  const tierParsed = readAnnotation(input.entity, 'tier');
  const tier =
    tierParsed?.ok && (TIERS as readonly string[]).includes(tierParsed.value)
      ? (tierParsed.value as Tier)
      : undefined;
  const rpo = objective(input, 'rpo', tier);
  const rto = objective(input, 'rto', tier);
  const interval = objective(input, 'restoreDrillInterval', tier);
  const A = SHIPSHAPE_ANNOTATIONS;
  const checks: ReadinessCheck[] = [];

  const bad = [rpo, rto].find(o => o.error);
  if (bad) {
    checks.push({
      id: 'objectives-declared',
      status: 'fail',
      message: bad.error!,
      fix: `Set ${A.rpo.name} and ${A.rto.name} to durations, e.g. ${A.rpo.example} and ${A.rto.example}`,
    });
  } else if (rpo.declared && rto.declared) {
    checks.push({
      id: 'objectives-declared',
      status: 'pass',
      message: `RPO ${human(rpo.seconds!)}, RTO ${human(
        rto.seconds!,
      )} declared`,
    });
  } else if (rpo.seconds && rto.seconds) {
    checks.push({
      id: 'objectives-declared',
      status: 'warn',
      message: `RPO/RTO not declared; using the ${tier} tier defaults (RPO ${human(
        rpo.seconds,
      )}, RTO ${human(rto.seconds)})`,
      fix: `Declare ${A.rpo.name} and ${A.rto.name} in catalog-info.yaml`,
    });
  } else {
    checks.push({
      id: 'objectives-declared',
      status: 'fail',
      message: 'No RPO/RTO declared and no tier to take defaults from',
      fix: `Declare ${A.rpo.name} and ${A.rto.name} (or ${A.tier.name})`,
    });
  }

  const target = readAnnotation(input.entity, 'backupTarget');
  checks.push(
    target?.ok
      ? {
          id: 'backup-target',
          status: 'pass',
          message: `Backups of ${target.value}`,
        }
      : {
          id: 'backup-target',
          status: 'fail',
          message: target ? target.error : 'No backup target named',
          fix: `Set ${A.backupTarget.name} to a target from app-config shipshape.backup.targets, e.g. ${A.backupTarget.example}`,
        },
  );

  if (!input.lastVerifiedBackupAt) {
    checks.push({
      id: 'backup-fresh',
      status: 'fail',
      message: 'No verified backup',
      fix: 'Back up now, and schedule backups more often than the RPO',
    });
  } else {
    const age = (now - Date.parse(input.lastVerifiedBackupAt)) / 1000;
    checks.push(
      againstObjective(
        'backup-fresh',
        `Last verified backup is ${human(age)} old`,
        age,
        {
          label: 'RPO',
          annotation: A.rpo.name,
          seconds: rpo.seconds,
          beyond: 'older',
          fix: limit =>
            `Back up now, and schedule backups at least every ${human(limit)}`,
        },
      ),
    );
  }

  const drill = input.lastDrill;
  if (!drill) {
    checks.push({
      id: 'drill-recent',
      status: 'fail',
      message: 'No restore drill yet',
      fix: 'Run a restore drill',
    });
  } else {
    const age = (now - Date.parse(drill.startedAt)) / 1000;
    const within = interval.seconds === undefined || age <= interval.seconds;
    if (drill.status === 'failed') {
      checks.push({
        id: 'drill-recent',
        status: 'fail',
        message: `The last restore drill (${human(age)} ago) failed`,
        fix: 'Read the drill error, fix the backup, run a new drill',
      });
    } else if (drill.status === 'running') {
      checks.push({
        id: 'drill-recent',
        status: 'warn',
        message: 'A restore drill is running',
      });
    } else if (within) {
      checks.push({
        id: 'drill-recent',
        status: 'pass',
        message: `Last restore drill passed ${human(age)} ago${
          interval.seconds ? ` (interval ${human(interval.seconds)})` : ''
        }`,
      });
    } else {
      checks.push({
        id: 'drill-recent',
        status: 'warn',
        message: `Last restore drill passed ${human(
          age,
        )} ago, longer than the interval of ${human(interval.seconds!)}`,
        fix: 'Run a restore drill',
      });
    }
    if (drill.status === 'passed' && drill.restoreMs !== undefined) {
      const secs = drill.restoreMs / 1000;
      checks.push(
        againstObjective(
          'drill-within-rto',
          `Restored in ${human(secs)}`,
          secs,
          {
            label: 'RTO',
            annotation: A.rto.name,
            seconds: rto.seconds,
            beyond: 'longer',
            fix: () =>
              'Make restores faster (smaller database, parallel restore, closer storage) or agree a longer RTO',
          },
        ),
      );
    }
  }

  let status: DrReadiness['status'] = 'pass';
  if (checks.some(c => c.status === 'warn')) status = 'warn';
  if (checks.some(c => c.status === 'fail')) status = 'fail';
  return {
    status,
    rpoSeconds: rpo.seconds,
    rtoSeconds: rto.seconds,
    drillIntervalSeconds: interval.seconds,
    checks,
  };
}
