import { Entity } from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import * as k8s from '@kubernetes/client-node';
import {
  BackupBucket,
  ClusterFacts,
  DrReadinessInput,
  ECOSYSTEM_ANNOTATIONS,
  WorkloadFacts,
} from '@shipshape/plugin-shipshape-common';
import { KubernetesClusters } from '../kubernetes/clusters';
import { ClusterClient } from '../kubernetes/types';
import { workloadRefOf } from '../kubernetes/placement';
import {
  kindOf,
  listEntityWorkloads,
  ownedReplicaSets,
  selectorString,
  Workload,
} from '../kubernetes/workloads';
import { jobOutcome, listJobs } from '../kubernetes/jobs';
import {
  listPodDisruptionBudgets,
  listPods,
  readNode,
} from '../kubernetes/pods';
import { findBackupCronJob } from '../backup/inCluster';
import { BackupConfig, BackupTarget, StorageConfig } from '../backup/config';
import { BackupRecord } from '../backup/store';
import { withDeadline } from '../http/deadline';

const ZONE = 'topology.kubernetes.io/zone';
/** Longest the cluster may take to answer before the checks warn instead. */
const CLUSTER_TIMEOUT_MS = 10_000;

type Selector = k8s.V1LabelSelector | undefined;

/** Whether a label selector (matchLabels and matchExpressions) selects these labels. */
export function selects(
  selector: Selector,
  labels: Record<string, string>,
): boolean {
  if (!selector) return false;
  const ml = Object.entries(selector.matchLabels ?? {});
  const me = selector.matchExpressions ?? [];
  // An empty selector in a policy/v1 PDB selects every pod of the namespace.
  if (!ml.length && !me.length) return true;
  if (ml.some(([k, v]) => labels[k] !== v)) return false;
  return me.every(e => {
    const has = e.key in labels;
    switch (e.operator) {
      case 'In':
        return has && (e.values ?? []).includes(labels[e.key]);
      case 'NotIn':
        return !has || !(e.values ?? []).includes(labels[e.key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
}

function newest<T extends { metadata?: k8s.V1ObjectMeta }>(items: T[]) {
  const at = (o: T) => o.metadata?.creationTimestamp?.valueOf() ?? 0;
  return [...items].sort((a, b) => Number(at(b)) - Number(at(a)))[0];
}

const iso = (d: Date | string | undefined) =>
  d === undefined ? undefined : new Date(d).toISOString();

async function backupCronJob(
  client: ClusterClient,
  env: ReturnType<KubernetesClusters['placement']>,
  kubernetesId: string,
): Promise<ClusterFacts['backupCronJob']> {
  let cron: k8s.V1CronJob;
  try {
    cron = await findBackupCronJob(client, env, kubernetesId);
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
  const jobs = await listJobs(client, env.namespace);
  const job = newest(
    jobs.filter(j =>
      j.metadata?.ownerReferences?.some(o => o.uid === cron.metadata?.uid),
    ),
  );
  let lastRun: NonNullable<ClusterFacts['backupCronJob']>['lastRun'];
  if (job) {
    const outcome = jobOutcome(job);
    lastRun = {
      at: iso(job.status?.startTime ?? job.metadata?.creationTimestamp)!,
      status: outcome ? outcome.state : 'running',
      job: job.metadata?.name,
    };
  } else {
    // The Jobs are gone (history limits): the CronJob's own record of its runs.
    const scheduled = iso(cron.status?.lastScheduleTime);
    const succeeded = iso(cron.status?.lastSuccessfulTime);
    if (scheduled) {
      lastRun = {
        at: scheduled,
        status: succeeded && succeeded >= scheduled ? 'succeeded' : 'failed',
      };
    } else if (succeeded) {
      lastRun = { at: succeeded, status: 'succeeded' };
    }
  }
  const writesTo = cronJobBucket(cron);
  return {
    name: cron.metadata!.name!,
    namespace: cron.metadata?.namespace ?? env.namespace,
    schedule: cron.spec?.schedule ?? '',
    suspended: cron.spec?.suspend ?? false,
    lastRun,
    ...(writesTo ? { writesTo } : {}),
  };
}

/**
 * Where a backup CronJob's Jobs upload: the plain values of S3_BUCKET, S3_PREFIX and S3_ENDPOINT
 * in the env of its pod template's containers (the chart's upload container sets them; the first
 * container setting S3_BUCKET counts). Undefined when none sets S3_BUCKET to a value (a value
 * from a ConfigMap or Secret is not read).
 */
export function cronJobBucket(cron: k8s.V1CronJob): BackupBucket | undefined {
  const pod = cron.spec?.jobTemplate?.spec?.template?.spec;
  const containers = [
    ...(pod?.containers ?? []),
    ...(pod?.initContainers ?? []),
  ];
  for (const c of containers) {
    const value = (name: string) =>
      c.env?.find(e => e.name === name && e.value !== undefined)?.value;
    const bucket = value('S3_BUCKET');
    if (!bucket) continue;
    const prefix = value('S3_PREFIX');
    const endpoint = value('S3_ENDPOINT');
    return {
      bucket,
      ...(prefix ? { prefix } : {}),
      ...(endpoint ? { endpoint } : {}),
    };
  }
  return undefined;
}

/**
 * The zones (and how many pods are in them) of the nodes `placed` names, one name per pod.
 * A node gone since is skipped; when nodes cannot be read at all (a read token without get on
 * nodes, which are cluster-scoped) the zones are unknown and `zonesUnknown` says why.
 */
async function podZones(
  client: ClusterClient,
  placed: string[],
): Promise<Pick<WorkloadFacts, 'zones' | 'zonePods' | 'zonesUnknown'>> {
  const zoneOf = new Map<string, string | undefined>();
  try {
    await Promise.all(
      [...new Set(placed)].map(async name => {
        const node = await readNode(client, name);
        // a node gone since is skipped
        if (node) zoneOf.set(name, node.metadata?.labels?.[ZONE]);
      }),
    );
  } catch (e) {
    const code = (e as { code?: number }).code;
    return {
      zonesUnknown:
        code === 401 || code === 403
          ? 'the read token may not get nodes'
          : `reading nodes failed: ${(e as Error).message
              .split('\n')[0]
              .slice(0, 200)}`,
    };
  }
  const zoned = placed.map(n => zoneOf.get(n)).filter((z): z is string => !!z);
  return { zones: [...new Set(zoned)].sort(), zonePods: zoned.length };
}

/**
 * One Deployment's or Rollout's facts: replicas, the PDBs selecting its pod template's labels,
 * zone topologySpreadConstraints, and the zones of the nodes its own pods run on.
 */
async function workloadFacts(
  client: ClusterClient,
  w: Workload,
  pdbs: k8s.V1PodDisruptionBudget[],
): Promise<WorkloadFacts> {
  const kind = kindOf(w);
  const template = w.spec?.template as k8s.V1PodTemplateSpec | undefined;
  const podLabels = template?.metadata?.labels ?? {};
  // Argo Rollouts: spec.workloadRef names a Deployment holding the pod template (not read).
  const ref = (w.spec as { workloadRef?: { kind?: string; name?: string } })
    ?.workloadRef;
  // Pods of the workload's own ReplicaSets (its selector may also match the backup Jobs'
  // pods, or the pods of the entity's other workload).
  const sets = new Set(
    (await ownedReplicaSets(client, w)).map(rs => rs.metadata?.uid),
  );
  const pods = await listPods(
    client,
    w.metadata!.namespace!,
    selectorString(w.spec?.selector),
  );
  // Nodes of the running pods, one entry per pod (evicted and finished pods keep their nodeName).
  const placed = pods
    .filter(
      p =>
        p.metadata?.ownerReferences?.some(o => sets.has(o.uid)) &&
        !p.metadata?.deletionTimestamp &&
        p.status?.phase !== 'Succeeded' &&
        p.status?.phase !== 'Failed',
    )
    .map(p => p.spec?.nodeName)
    .filter((n): n is string => !!n);
  const zoneFacts = await podZones(client, placed);
  return {
    kind,
    name: w.metadata!.name!,
    replicas: w.spec?.replicas ?? 1,
    pdbs: template
      ? pdbs
          .filter(p => selects(p.spec?.selector, podLabels))
          .map(p => p.metadata!.name!)
      : [],
    zoneSpreadConstraint: (
      template?.spec?.topologySpreadConstraints ?? []
    ).some(c => c.topologyKey === ZONE),
    ...zoneFacts,
    containers: (template?.spec?.containers ?? []).map(c => ({
      name: c.name,
      image: c.image ?? '',
      readinessProbe: !!c.readinessProbe,
      livenessProbe: !!c.livenessProbe,
    })),
    ...(ref
      ? { workloadRef: `${ref.kind ?? 'Deployment'} ${ref.name ?? '?'}` }
      : {}),
  };
}

/** The entity's Deployments and Argo Rollouts (Deployments first, then by name), each read. */
async function workloads(
  client: ClusterClient,
  namespace: string,
  kubernetesId: string,
): Promise<WorkloadFacts[]> {
  const found = await listEntityWorkloads(client, namespace, kubernetesId);
  if (!found.length) return [];
  const pdbs = await listPodDisruptionBudgets(client, namespace);
  const facts = await Promise.all(
    found.map(w => workloadFacts(client, w, pdbs)),
  );
  return facts.sort(
    (a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name),
  );
}

/**
 * What the cluster of `environment` says about the entity's workloads (its Deployments and
 * Argo Rollouts) and backup CronJob, where the entity runs there: the cluster, namespace and
 * release of `resolvePlacement` (its kubernetes-id and kubernetes-namespace, the environment's
 * namespace or namespacePerService), as for its deploys and Rollout card.
 * Never throws: whatever stops the read (no kubernetes-id, unknown environment, a namespace the
 * environment does not run it in, cluster unreachable or refusing) becomes `unavailable`, and
 * the cluster checks warn with it.
 */
export async function readClusterFacts(
  clusters: KubernetesClusters | undefined,
  environment: string,
  entity: Entity,
  timeoutMs = CLUSTER_TIMEOUT_MS,
): Promise<ClusterFacts> {
  const kubernetesId =
    entity.metadata.annotations?.[ECOSYSTEM_ANNOTATIONS.kubernetesId];
  if (!kubernetesId) {
    return {
      environment,
      unavailable: `the entity has no ${ECOSYSTEM_ANNOTATIONS.kubernetesId} annotation`,
    };
  }
  try {
    if (!clusters) throw new Error('no kubernetes cluster config');
    const env = clusters.placement(environment, workloadRefOf(entity));
    const client = clusters.reader(env);
    const [w, cron] = await withDeadline(
      `cluster ${env.cluster}`,
      timeoutMs,
      () =>
        Promise.all([
          workloads(client, env.namespace, kubernetesId),
          backupCronJob(client, env, kubernetesId),
        ]),
    );
    return { environment, workload: w[0], workloads: w, backupCronJob: cron };
  } catch (e) {
    const err = e as Error & { code?: number; body?: unknown };
    const why = err.message.split('\n')[0].slice(0, 300);
    return { environment, unavailable: why };
  }
}

/** Where a storage keeps backups, in words: `s3://bucket/prefix at endpoint` or a local folder. */
export function storageLocation(storage: StorageConfig): string {
  if (storage.type === 'local') {
    return `the portal's local directory ${storage.directory}`;
  }
  const prefix = storage.prefix
    ? `/${storage.prefix.replace(/^\/+|\/+$/g, '')}`
    : '';
  return `s3://${storage.bucket}${prefix}${
    storage.endpoint ? ` at ${storage.endpoint}` : ` (${storage.region})`
  }`;
}

/** The `backupTargets` readiness input: the configured names and the entity's target's store. */
export function backupTargetsFact(
  config: BackupConfig,
  target: BackupTarget | undefined,
  refused?: string,
): DrReadinessInput['backupTargets'] {
  const storage = target?.storage;
  return {
    configured: [...config.targets.keys()].sort(),
    store: target && storageLocation(target.storage),
    refused,
    target: target && {
      name: target.name,
      s3:
        storage?.type === 's3'
          ? {
              bucket: storage.bucket,
              ...(storage.prefix ? { prefix: storage.prefix } : {}),
              ...(storage.endpoint ? { endpoint: storage.endpoint } : {}),
            }
          : undefined,
    },
  };
}

/** The `lastInClusterBackup` readiness input: the newest in-cluster backup in `backups`. */
export function inClusterFact(
  backups: BackupRecord[],
): DrReadinessInput['lastInClusterBackup'] {
  const b = backups.find(x => x.method === 'in-cluster');
  return b && { at: b.startedAt, status: b.status, location: b.location };
}
