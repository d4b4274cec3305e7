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
    | 'drill-within-rto'
    | 'backup-schedule'
    | 'replicas'
    | 'pdb'
    | 'zone-spread'
    | 'second-copy'
    | 'runbook';
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
  /**
   * What the cluster says about the entity in its production environment; absent when not
   * looked at (the schedule, replica, PDB and zone checks are then left out).
   */
  cluster?: ClusterFacts;
  /** Where backups are copied to besides the target's storage, if anywhere. */
  secondCopy?: { location: string };
  now?: Date;
}

/** The entity's workload and backup CronJob as read from one environment's cluster. */
export interface ClusterFacts {
  /** The environment read, e.g. production. */
  environment: string;
  /** Why the cluster could not be read; every cluster check warns with it. */
  unavailable?: string;
  /** The entity's first workload (Deployment, else Rollout); absent when there is none. */
  workload?: WorkloadFacts;
  /**
   * Every Deployment and Argo Rollout labelled with the entity's kubernetes-id. When given, each
   * is checked and the weakest result counts; else `workload` alone is.
   */
  workloads?: WorkloadFacts[];
  /** The entity's backup CronJob; absent when there is none. */
  backupCronJob?: {
    name: string;
    schedule: string;
    suspended?: boolean;
    /** The newest run: its newest Job, else the CronJob's last schedule / success times. */
    lastRun?: {
      at: string;
      status: 'succeeded' | 'failed' | 'running';
      job?: string;
    };
  };
}

/** One Deployment or Argo Rollout of the entity, as read from the cluster. */
export interface WorkloadFacts {
  /** 'Deployment' or 'Rollout'. */
  kind: string;
  name: string;
  replicas: number;
  /** PodDisruptionBudgets whose selector matches the pod template's labels. */
  pdbs: string[];
  /** The pod template has a topologySpreadConstraint on topology.kubernetes.io/zone. */
  zoneSpreadConstraint: boolean;
  /**
   * Zones (topology.kubernetes.io/zone of their nodes) the workload's running pods are in, sorted;
   * absent when the nodes could not be read (`zonesUnknown` says why).
   */
  zones?: string[];
  /** How many running pods are on nodes with a zone label (the pods behind `zones`). */
  zonePods?: number;
  /** Why the zones of the pods' nodes are not known, e.g. the read token may not get nodes. */
  zonesUnknown?: string;
  /**
   * A Rollout's spec.workloadRef (e.g. "Deployment checkout-api"): its pod template lives there
   * and is not read, so the PDB and zone checks warn.
   */
  workloadRef?: string;
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
  // a drill of a small database restores in well under a second: "0s" would hide it
  if (raw < 1) return `${Math.round(raw * 1000)}ms`;
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

  const tierDefaults = tier ? TIER_DEFAULTS[tier] : undefined;
  if (input.cluster) checks.push(...clusterChecks(input.cluster, tier));

  const drRegion = readAnnotation(input.entity, 'drRegion');
  const copyRequired = tierDefaults?.requiresSecondBackupCopy ?? false;
  if (input.secondCopy) {
    checks.push({
      id: 'second-copy',
      status: 'pass',
      message: `Backups copied to ${input.secondCopy.location}`,
    });
  } else if (copyRequired) {
    checks.push({
      id: 'second-copy',
      status: 'fail',
      message: `The ${tier} tier needs backups copied to a second location or region; the backup target has none${
        drRegion?.ok
          ? ` (${A.drRegion.name} names ${drRegion.value}, but nothing copies backups there)`
          : ''
      }`,
      fix: 'Configure a second location for the backup target (a replicated bucket in another region)',
    });
  } else {
    checks.push({
      id: 'second-copy',
      status: 'pass',
      message: `No second backup location needed${
        tier ? ` (tier ${tier})` : ''
      }`,
    });
  }

  const runbook = readAnnotation(input.entity, 'runbook');
  checks.push(
    runbook?.ok
      ? { id: 'runbook', status: 'pass', message: `Runbook ${runbook.value}` }
      : {
          id: 'runbook',
          status: 'fail',
          message: runbook ? runbook.error : 'No runbook linked',
          fix: `Set ${A.runbook.name} to the runbook's URL, e.g. ${A.runbook.example}`,
        },
  );

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

/** Backup schedule, replicas, PodDisruptionBudget and zone spread, from the cluster facts. */
function clusterChecks(
  facts: ClusterFacts,
  tier: Tier | undefined,
): ReadinessCheck[] {
  const env = facts.environment;
  if (facts.unavailable) {
    return (['backup-schedule', 'replicas', 'pdb', 'zone-spread'] as const).map(
      id => ({
        id,
        status: 'warn',
        message: `Cannot read the ${env} cluster: ${facts.unavailable}`,
        fix: 'Check the kubernetes cluster config and the read token',
      }),
    );
  }
  const checks: ReadinessCheck[] = [];
  const cron = facts.backupCronJob;
  const run = cron?.lastRun;
  if (!cron) {
    checks.push({
      id: 'backup-schedule',
      status: 'fail',
      message: `No backup CronJob in ${env}`,
      fix: "Enable the chart's backup CronJob (backup.enabled: true) so backups run on a schedule",
    });
  } else if (cron.suspended) {
    checks.push({
      id: 'backup-schedule',
      status: 'fail',
      message: `CronJob ${cron.name} (${cron.schedule}) is suspended`,
      fix: `Resume it: set spec.suspend to false on ${cron.name}`,
    });
  } else if (!run) {
    checks.push({
      id: 'backup-schedule',
      status: 'warn',
      message: `CronJob ${cron.name} (${cron.schedule}) has not run yet`,
      fix: 'Wait for the first scheduled run, or back up now (in-cluster)',
    });
  } else if (run.status === 'succeeded') {
    checks.push({
      id: 'backup-schedule',
      status: 'pass',
      message: `CronJob ${cron.name} (${cron.schedule}); last run ${run.at} succeeded`,
    });
  } else if (run.status === 'running') {
    checks.push({
      id: 'backup-schedule',
      status: 'warn',
      message: `CronJob ${cron.name} (${cron.schedule}) is running (since ${run.at})`,
    });
  } else {
    checks.push({
      id: 'backup-schedule',
      status: 'fail',
      message: `CronJob ${cron.name} (${cron.schedule}): the last run ${
        run.at
      }${run.job ? ` (Job ${run.job})` : ''} failed`,
      fix: "Read the backup Job's pod logs, fix it, and back up now (in-cluster)",
    });
  }

  const workloads = facts.workloads ?? (facts.workload ? [facts.workload] : []);
  if (!workloads.length) {
    checks.push({
      id: 'replicas',
      status: 'fail',
      message: `No Deployment or Rollout of the service in ${env}`,
      fix: 'Label the Deployment (or Argo Rollout) and its pod template with backstage.io/kubernetes-id',
    });
    return checks;
  }
  const each = workloads.map(w => workloadChecks(w, env, tier));
  for (const [i, id] of (
    ['replicas', 'pdb', 'zone-spread'] as const
  ).entries()) {
    checks.push(
      weakest(
        id,
        each.map(c => c[i]),
      ),
    );
  }
  return checks;
}

const RANK = { pass: 0, warn: 1, fail: 2 } as const;

/** One check over several workloads: the weakest status, with the messages of those at it. */
function weakest(
  id: ReadinessCheck['id'],
  results: ReadinessCheck[],
): ReadinessCheck {
  const worst = results.reduce((a, b) =>
    RANK[b.status] > RANK[a.status] ? b : a,
  ).status;
  const at = results.filter(r => r.status === worst);
  const fixes = [...new Set(at.map(r => r.fix).filter(f => !!f))];
  return {
    id,
    status: worst,
    message: at.map(r => r.message).join('; '),
    ...(fixes.length ? { fix: fixes.join('; ') } : {}),
  };
}

/** The replicas, PDB and zone-spread checks of one workload, in that order. */
function workloadChecks(
  w: WorkloadFacts,
  env: string,
  tier: Tier | undefined,
): [ReadinessCheck, ReadinessCheck, ReadinessCheck] {
  const defaults = tier ? TIER_DEFAULTS[tier] : undefined;
  const required = defaults?.replicas ?? 2;
  const what = `${w.kind} ${w.name}`;
  const replicas: ReadinessCheck =
    w.replicas >= Math.max(2, required)
      ? {
          id: 'replicas',
          status: 'pass',
          message: `${what} runs ${w.replicas} replicas in ${env}`,
        }
      : {
          id: 'replicas',
          status: w.replicas >= required ? 'warn' : 'fail',
          message: `${what} runs ${w.replicas} replica(s) in ${env}${
            tier ? `; the ${tier} tier asks for ${required}` : ''
          }`,
          fix: `Set replicas to at least ${Math.max(2, required)}`,
        };

  if (w.workloadRef) {
    // spec.workloadRef: the pod template is on another object, which is not read.
    const unread = (id: 'pdb' | 'zone-spread'): ReadinessCheck => ({
      id,
      status: 'warn',
      message: `${what} takes its pod template from spec.workloadRef (${w.workloadRef}), which Shipshape does not read`,
      fix: `Check the ${
        id === 'pdb' ? 'PodDisruptionBudget' : 'zone topologySpreadConstraints'
      } of ${w.workloadRef}'s pods by hand, or put the pod template on ${what}`,
    });
    return [replicas, unread('pdb'), unread('zone-spread')];
  }

  const pdbRequired = (defaults?.pdbMinAvailable ?? 1) > 0;
  const pdb: ReadinessCheck = w.pdbs.length
    ? {
        id: 'pdb',
        status: 'pass',
        message: `PodDisruptionBudget ${w.pdbs.join(
          ', ',
        )} covers the pods of ${what}`,
      }
    : {
        id: 'pdb',
        status: pdbRequired ? 'fail' : 'warn',
        message: `No PodDisruptionBudget selects the pods of ${what}`,
        fix: `Add a PodDisruptionBudget (minAvailable: ${
          defaults?.pdbMinAvailable || 1
        }) whose selector matches the pods`,
      };

  const zones = w.zones ?? [];
  const fix =
    'Add topologySpreadConstraints (topologyKey: topology.kubernetes.io/zone, maxSkew: 1) to the pod template';
  let zone: ReadinessCheck;
  if (w.zoneSpreadConstraint && zones.length === 1) {
    // The constraint is there, yet every pod is in one zone: the cluster does not honour it.
    let pods = 'all pods run';
    if (w.zonePods === 1) pods = 'its one pod runs';
    else if (w.zonePods) pods = `all ${w.zonePods} pods run`;
    zone = {
      id: 'zone-spread',
      status: 'warn',
      message: `${what} has a topologySpreadConstraint on topology.kubernetes.io/zone, but ${pods} in zone ${zones[0]}: whenUnsatisfiable ScheduleAnyway or a single-zone node pool?`,
      fix: 'Set whenUnsatisfiable: DoNotSchedule on the zone constraint, run the pods on nodes in at least 2 zones and at least 2 replicas, then restart the workload so its pods are placed again',
    };
  } else if (w.zoneSpreadConstraint) {
    let now = '';
    if (zones.length) now = ` (now in ${zones.join(', ')})`;
    else if (w.zonesUnknown)
      now = ` (zones of its pods unknown: ${w.zonesUnknown})`;
    zone = {
      id: 'zone-spread',
      status: 'pass',
      message: `Pods of ${what} spread across zones by topologySpreadConstraints${now}`,
    };
  } else if (zones.length >= 2) {
    zone = {
      id: 'zone-spread',
      status: 'warn',
      message: `Pods of ${what} happen to run in ${zones.join(
        ', ',
      )}, but nothing keeps them spread across zones`,
      fix,
    };
  } else {
    zone = {
      id: 'zone-spread',
      status: required >= 2 ? 'fail' : 'warn',
      message: zones.length
        ? `All pods of ${what} run in zone ${zones[0]}`
        : `${what} has no topologySpreadConstraints on topology.kubernetes.io/zone`,
      fix,
    };
  }
  return [replicas, pdb, zone];
}

/** A check whose status differs between two gradings (absent in one: undefined). */
export interface ReadinessChange {
  id: string;
  from?: ReadinessCheck['status'];
  to?: ReadinessCheck['status'];
}

/** The checks whose status changed from `before` to `after`, in `after`'s order. */
export function readinessChanges(
  before: Array<Pick<ReadinessCheck, 'id' | 'status'>>,
  after: Array<Pick<ReadinessCheck, 'id' | 'status'>>,
): ReadinessChange[] {
  const old = new Map(before.map(c => [c.id as string, c.status]));
  const now = new Map(after.map(c => [c.id as string, c.status]));
  const changes: ReadinessChange[] = [];
  for (const id of [
    ...now.keys(),
    ...[...old.keys()].filter(k => !now.has(k)),
  ]) {
    if (old.get(id) !== now.get(id)) {
      changes.push({ id, from: old.get(id), to: now.get(id) });
    }
  }
  return changes;
}
