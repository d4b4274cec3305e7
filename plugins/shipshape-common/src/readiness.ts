import {
  SHIPSHAPE_ANNOTATIONS,
  TIERS,
  Tier,
  parseDuration,
  readAnnotation,
} from './contract';
import { formatDuration } from './duration';
import { TIER_DEFAULTS } from './tiers';

/**
 * One DR readiness rule's verdict, with what to do about it.
 *
 * @public
 */
export interface ReadinessCheck {
  id:
    | 'objectives-declared'
    | 'backup-target'
    | 'backup-fresh'
    | 'drill-recent'
    | 'drill-within-rto'
    | 'backup-schedule'
    | 'backup-destination'
    | 'replicas'
    | 'pdb'
    | 'zone-spread'
    | 'probes'
    | 'image-pinned'
    | 'second-copy'
    | 'runbook';
  status: 'pass' | 'warn' | 'fail';
  message: string;
  /** How to fix it; absent when it passes. */
  fix?: string;
}

/** @public */
export interface DrReadinessInput {
  entity: {
    metadata: { annotations?: Record<string, string> };
    spec?: { lifecycle?: unknown };
  };
  /**
   * The backup targets this portal has configured (app-config shipshape.backup.targets), and
   * where the entity's target stores its backups when it names one of them. Absent when
   * configuration was not looked at: the backup-target check then warns, since an annotation
   * alone is only a claim.
   */
  backupTargets?: {
    configured: string[];
    store?: string;
    /** Why the entity may not use the configured target it names (e.g. not in its allow-list). */
    refused?: string;
    /**
     * The entity's target by name, with its storage's bucket and prefix (`s3`; absent when it
     * stores in a local directory): what the backup CronJob's bucket is compared with.
     */
    target?: { name: string; s3?: BackupBucket };
  };
  /** Start time (ISO) of the newest backup the portal itself stored and verified, if any. */
  lastVerifiedBackupAt?: string;
  /** The newest backup run by the service's in-cluster CronJob (its dump the portal never read). */
  lastInClusterBackup?: { at: string; status: string; location?: string };
  /** The newest restore drill, if any; its status is its operation's (succeeded: it passed). */
  lastDrill?: {
    startedAt: string;
    status: 'queued' | 'running' | 'succeeded' | 'failed';
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

/**
 * The entity's workload and backup CronJob as read from one environment's cluster.
 *
 * @public
 */
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
    namespace?: string;
    /**
     * Where its Jobs upload: the plain values of S3_BUCKET, S3_PREFIX and S3_ENDPOINT in its
     * containers' env (the chart's upload container); absent when it sets no S3_BUCKET value.
     */
    writesTo?: BackupBucket;
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

/**
 * An S3 bucket and the key prefix backups are written under (as is: the chart and the portal
 * both put `cronjob/…` right after it), and the endpoint when it is not AWS's.
 *
 * @public
 */
export interface BackupBucket {
  /** The bucket's name. */
  bucket: string;
  /** The key prefix as configured (e.g. `prod/`); absent: the bucket's root. */
  prefix?: string;
  /** The S3 endpoint (MinIO, SeaweedFS, …); absent: AWS's for the region. */
  endpoint?: string;
}

/**
 * One Deployment or Argo Rollout of the entity, as read from the cluster.
 *
 * @public
 */
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
  /** The pod template's containers (not init containers); absent when not read. */
  containers?: ContainerFacts[];
}

/**
 * One container of a workload's pod template.
 *
 * @public
 */
export interface ContainerFacts {
  name: string;
  image: string;
  readinessProbe: boolean;
  livenessProbe: boolean;
}

/** Tags that are moved to newer images by design. */
const FLOATING_TAGS = new Set([
  'latest',
  'stable',
  'main',
  'master',
  'dev',
  'develop',
  'edge',
  'nightly',
  'head',
  'release',
  'prod',
  'production',
  'staging',
  'snapshot',
]);

/**
 * Why an image reference may run different code tomorrow ("no tag, which means latest",
 * "tag latest moves", "tag 16 moves to each 16.x release"); undefined when it is pinned by digest
 * or by a tag naming one build (e.g. 1.4.2, a commit sha).
 *
 * @public
 */
export function mutableImageTag(image: string): string | undefined {
  if (image.includes('@')) return undefined;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const tag = colon > slash ? image.slice(colon + 1) : undefined;
  if (!tag) return 'no tag, which means latest';
  if (FLOATING_TAGS.has(tag.toLowerCase())) return `tag ${tag} moves`;
  if (/^v?\d+(\.\d+)?$/.test(tag)) {
    return `tag ${tag} moves to each ${tag}.x release`;
  }
  return undefined;
}

/** @public */
export interface DrReadiness {
  status: 'pass' | 'warn' | 'fail';
  /** Effective objectives in seconds (declared, else the tier's default). */
  rpoSeconds?: number;
  rtoSeconds?: number;
  drillIntervalSeconds?: number;
  checks: ReadinessCheck[];
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
      message: `${measured} (${label} ${formatDuration(limit)})`,
    };
  }
  return {
    id,
    status: 'fail',
    message: `${measured}, ${
      against.beyond
    } than the ${label} of ${formatDuration(limit)}`,
    fix: against.fix(limit),
  };
}

/**
 * The DR readiness rules: RPO/RTO declared, a backup target named, the last verified backup
 * younger than the RPO, the last drill passed within the drill interval and restored within
 * the RTO. Undeclared objectives fall back to the tier's defaults (warn).
 *
 * @public
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
      message: `RPO ${formatDuration(rpo.seconds!)}, RTO ${formatDuration(
        rto.seconds!,
      )} declared`,
    });
  } else if (rpo.seconds && rto.seconds) {
    checks.push({
      id: 'objectives-declared',
      status: 'warn',
      message: `RPO/RTO not declared; using the ${tier} tier defaults (RPO ${formatDuration(
        rpo.seconds,
      )}, RTO ${formatDuration(rto.seconds)})`,
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

  checks.push(backupTargetCheck(input, tier));

  const inCluster = input.lastInClusterBackup;
  if (!input.lastVerifiedBackupAt) {
    checks.push({
      id: 'backup-fresh',
      status: 'fail',
      message: `No verified backup${
        inCluster
          ? `; the newest in-cluster backup (${inCluster.status} ${
              inCluster.at
            }${
              inCluster.location ? `, ${inCluster.location}` : ''
            }) is not one: the portal never read its dump in a store outside the cluster`
          : ''
      }`,
      fix: 'Back up now (the portal dumps, stores and verifies it off the cluster), and schedule backups more often than the RPO',
    });
  } else {
    const age = (now - Date.parse(input.lastVerifiedBackupAt)) / 1000;
    const store = input.backupTargets?.store;
    checks.push(
      againstObjective(
        'backup-fresh',
        `Last verified backup is ${formatDuration(age)} old${
          store ? ` (verified by the portal in ${store})` : ''
        }`,
        age,
        {
          label: 'RPO',
          annotation: A.rpo.name,
          seconds: rpo.seconds,
          beyond: 'older',
          fix: limit =>
            `Back up now, and schedule backups at least every ${formatDuration(
              limit,
            )}`,
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
        message: `The last restore drill (${formatDuration(age)} ago) failed`,
        fix: 'Read the drill error, fix the backup, run a new drill',
      });
    } else if (drill.status === 'running' || drill.status === 'queued') {
      checks.push({
        id: 'drill-recent',
        status: 'warn',
        message: 'A restore drill is running',
      });
    } else if (within) {
      checks.push({
        id: 'drill-recent',
        status: 'pass',
        message: `Last restore drill passed ${formatDuration(age)} ago${
          interval.seconds
            ? ` (interval ${formatDuration(interval.seconds)})`
            : ''
        }`,
      });
    } else {
      checks.push({
        id: 'drill-recent',
        status: 'warn',
        message: `Last restore drill passed ${formatDuration(
          age,
        )} ago, longer than the interval of ${formatDuration(
          interval.seconds!,
        )}`,
        fix: 'Run a restore drill',
      });
    }
    if (drill.status === 'succeeded' && drill.restoreMs !== undefined) {
      const secs = drill.restoreMs / 1000;
      checks.push(
        againstObjective(
          'drill-within-rto',
          `Restored in ${formatDuration(secs)}`,
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
  const destination = backupDestinationCheck(input);
  if (destination) checks.push(destination);

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

/**
 * The backup-target check: passes only when the annotation names a target this portal has
 * configured (the configured names are listed when it does not). No annotation fails for a
 * production service (tier critical or standard, or lifecycle production) and warns otherwise.
 */
function backupTargetCheck(
  input: DrReadinessInput,
  tier: Tier | undefined,
): ReadinessCheck {
  const A = SHIPSHAPE_ANNOTATIONS;
  const targets = input.backupTargets;
  const configured = targets?.configured.length
    ? `configured: ${targets.configured.join(', ')}`
    : 'none is configured yet';
  const fix = `Set ${
    A.backupTarget.name
  } to a target from app-config shipshape.backup.targets (${
    targets ? configured : `e.g. ${A.backupTarget.example}`
  })`;
  const target = readAnnotation(input.entity, 'backupTarget');
  if (!target) {
    const production =
      tier === 'critical' ||
      tier === 'standard' ||
      input.entity.spec?.lifecycle === 'production';
    const why = tier ? `tier ${tier}` : 'lifecycle production';
    return {
      id: 'backup-target',
      status: production ? 'fail' : 'warn',
      message: production
        ? `No backup target: nothing backs up this ${why} service`
        : 'No backup target named',
      fix,
    };
  }
  if (!target.ok) {
    return { id: 'backup-target', status: 'fail', message: target.error, fix };
  }
  if (!targets) {
    return {
      id: 'backup-target',
      status: 'warn',
      message: `${A.backupTarget.name} names ${target.value}; not checked against the configured targets`,
      fix: 'Grade the entity through the Shipshape backend, which reads app-config shipshape.backup.targets',
    };
  }
  if (!targets.configured.includes(target.value)) {
    return {
      id: 'backup-target',
      status: 'fail',
      message: `${A.backupTarget.name} names ${target.value}, which is not a configured backup target (${configured})`,
      fix,
    };
  }
  if (targets.refused) {
    return {
      id: 'backup-target',
      status: 'fail',
      message: targets.refused,
      fix: `An admin lists the entity in the allowedEntities of backup target ${target.value} in app-config`,
    };
  }
  return {
    id: 'backup-target',
    status: 'pass',
    message: `Backup target ${target.value} is configured${
      targets.store ? `: backups go to ${targets.store}` : ''
    }`,
  };
}

/** `s3://bucket/prefix` (the prefix as configured), with the endpoint when there is one. */
function s3Url(b: BackupBucket): string {
  return `s3://${b.bucket}/${b.prefix ?? ''}${
    b.endpoint ? ` at ${b.endpoint}` : ''
  }`;
}

/**
 * The backup-destination check: the backup CronJob must upload to the bucket and prefix of the
 * entity's backup target, where the portal looks for its backups (`CRONJOB_BACKUP_LAYOUT`);
 * anywhere else they are never listed, verified or counted. Endpoints are named, not compared:
 * the cluster and the portal may reach one store by different addresses. Left out when there is
 * no CronJob, it sets no S3_BUCKET value, or the entity has no usable target (other checks say so).
 */
function backupDestinationCheck(
  input: DrReadinessInput,
): ReadinessCheck | undefined {
  const cron = input.cluster?.unavailable
    ? undefined
    : input.cluster?.backupCronJob;
  const to = cron?.writesTo;
  const targets = input.backupTargets;
  const target = targets?.target;
  if (!cron || !to || !target || targets?.refused) return undefined;
  const what = `CronJob ${cron.namespace ? `${cron.namespace}/` : ''}${
    cron.name
  }`;
  const ours = target.s3;
  if (
    ours &&
    ours.bucket === to.bucket &&
    (ours.prefix ?? '') === (to.prefix ?? '')
  ) {
    return {
      id: 'backup-destination',
      status: 'pass',
      message: `${what} writes to ${s3Url(to)}, where backup target ${
        target.name
      } stores: the portal finds and verifies its backups`,
    };
  }
  return {
    id: 'backup-destination',
    status: 'fail',
    message: `${what} writes to ${s3Url(to)}, target ${target.name} stores in ${
      ours ? s3Url(ours) : targets.store ?? 'a local directory'
    }: the portal never sees these backups`,
    fix: ours
      ? `Set the chart's backup.s3.bucket to ${
          ours.bucket
        } and backup.s3.prefix to "${ours.prefix ?? ''}" (target ${
          target.name
        }'s storage in app-config shipshape.backup.targets), or point that storage at bucket ${
          to.bucket
        } and prefix "${to.prefix ?? ''}"`
      : `Give backup target ${
          target.name
        } the s3 storage the CronJob writes to (bucket ${to.bucket}, prefix "${
          to.prefix ?? ''
        }") in app-config shipshape.backup.targets, or turn the chart's backup CronJob off`,
  };
}

/** The probes and image-pinned checks of one workload's containers; none when not read. */
function containerChecks(w: WorkloadFacts, env: string): ReadinessCheck[] {
  const what = `${w.kind} ${w.name}`;
  if (w.workloadRef) {
    return (['probes', 'image-pinned'] as const).map(id => ({
      id,
      status: 'warn',
      message: `${what} takes its pod template from spec.workloadRef (${w.workloadRef}), which Shipshape does not read`,
      fix: `Check the ${id === 'probes' ? 'probes' : 'image tags'} of ${
        w.workloadRef
      } by hand, or put the pod template on ${what}`,
    }));
  }
  if (!w.containers) return [];
  const missing = w.containers.flatMap(c => {
    const lacks = [
      c.readinessProbe ? '' : 'readiness',
      c.livenessProbe ? '' : 'liveness',
    ].filter(Boolean);
    return lacks.length ? [`${c.name} (no ${lacks.join(' or ')} probe)`] : [];
  });
  const probes: ReadinessCheck = missing.length
    ? {
        id: 'probes',
        status: 'fail',
        message: `${what} in ${env}: ${missing.join(', ')}`,
        fix: 'Give every container a readinessProbe (e.g. GET /ready) and a livenessProbe (e.g. GET /health), so a restarted or failed-over pod gets traffic only once it serves',
      }
    : {
        id: 'probes',
        status: 'pass',
        message: `Every container of ${what} has readiness and liveness probes`,
      };
  const mutable = w.containers.flatMap(c => {
    const why = mutableImageTag(c.image);
    return why ? [`${c.name} runs ${c.image} (${why})`] : [];
  });
  const images: ReadinessCheck = mutable.length
    ? {
        id: 'image-pinned',
        status: 'fail',
        message: `${what} in ${env}: ${mutable.join(
          ', ',
        )}; a restore or reschedule may start other code`,
        fix: 'Deploy by an immutable tag (a version or commit sha) or by digest (image@sha256:…)',
      }
    : {
        id: 'image-pinned',
        status: 'pass',
        message: `${what} runs images pinned by version tag or digest (${w.containers
          .map(c => c.image)
          .join(', ')})`,
      };
  return [probes, images];
}

/**
 * Backup schedule, replicas, PodDisruptionBudget, zone spread, probes and image pinning, from the
 * cluster facts.
 */
function clusterChecks(
  facts: ClusterFacts,
  tier: Tier | undefined,
): ReadinessCheck[] {
  const env = facts.environment;
  if (facts.unavailable) {
    return (
      [
        'backup-schedule',
        'replicas',
        'pdb',
        'zone-spread',
        'probes',
        'image-pinned',
      ] as const
    ).map(id => ({
      id,
      status: 'warn',
      message: `Cannot read the ${env} cluster: ${facts.unavailable}`,
      fix: 'Check the kubernetes cluster config and the read token',
    }));
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
  const each = workloads.flatMap(w => [
    ...workloadChecks(w, env, tier),
    ...containerChecks(w, env),
  ]);
  for (const id of [
    'replicas',
    'pdb',
    'zone-spread',
    'probes',
    'image-pinned',
  ] as const) {
    const results = each.filter(c => c.id === id);
    if (results.length) checks.push(weakest(id, results));
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

/**
 * A check whose status differs between two gradings (absent in one: undefined).
 *
 * @public
 */
export interface ReadinessChange {
  id: string;
  from?: ReadinessCheck['status'];
  to?: ReadinessCheck['status'];
}

/**
 * The checks whose status changed from `before` to `after`, in `after`'s order.
 *
 * @public
 */
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
