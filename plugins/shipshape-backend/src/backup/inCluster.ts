import { InputError, NotFoundError } from '@backstage/errors';
import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'crypto';
import { ClusterClient, EnvironmentConfig } from '../kubernetes/types';
import { EngineStoppedError } from '../operations/engine';
import { KUBERNETES_ID_LABEL } from '../kubernetes/workloads';

/** What `kubectl create job --from=cronjob/x` puts on the Job. */
export const INSTANTIATE_ANNOTATION = 'cronjob.kubernetes.io/instantiate';
/** The Shipshape backup record a manual Job belongs to. */
export const BACKUP_ID_ANNOTATION = 'shipshape.dev/backup-id';
const COMPONENT_LABEL = 'app.kubernetes.io/component';

export type JobOutcome =
  | { state: 'succeeded'; message: string }
  | { state: 'failed'; reason: string; message: string };

function batchOf(client: ClusterClient) {
  return client.kubeConfig.makeApiClient(k8s.BatchV1Api);
}

/**
 * The entity's backup CronJob in an environment: labelled with its kubernetes-id (the
 * chart's labels), preferring the one labelled app.kubernetes.io/component=backup.
 */
export async function findBackupCronJob(
  client: ClusterClient,
  env: EnvironmentConfig,
  kubernetesId: string,
): Promise<k8s.V1CronJob> {
  const list = await batchOf(client).listNamespacedCronJob({
    namespace: env.namespace,
    labelSelector: `${KUBERNETES_ID_LABEL}=${kubernetesId}`,
  });
  let items = list.items;
  const labelled = items.filter(
    c => c.metadata?.labels?.[COMPONENT_LABEL] === 'backup',
  );
  if (labelled.length) items = labelled;
  const where = `labelled ${KUBERNETES_ID_LABEL}=${kubernetesId} in namespace ${env.namespace} of cluster ${env.cluster} (environment ${env.name})`;
  if (items.length === 0) {
    throw new NotFoundError(
      `No CronJob ${where}; the service's chart makes one when backup.enabled is true (templates' backup-cronjob.yaml)`,
    );
  }
  if (items.length > 1) {
    throw new InputError(
      `Several CronJobs ${where} (${items
        .map(c => c.metadata?.name)
        .join(', ')}); label the backup one ${COMPONENT_LABEL}=backup`,
    );
  }
  return items[0];
}

/** `<cronjob>-manual-<6 hex>`, within the 63 characters of a Job name. */
export function manualJobName(cronJob: string): string {
  const base = cronJob.slice(0, 48).replace(/-+$/, '');
  return `${base}-manual-${randomBytes(3).toString('hex')}`;
}

/**
 * The Job `kubectl create job --from=cronjob/<name>` creates: the CronJob's job template,
 * owned by the CronJob (so its history limits and deletion apply), annotated
 * cronjob.kubernetes.io/instantiate=manual.
 */
export function jobFromCronJob(
  cron: k8s.V1CronJob,
  name: string,
  annotations: Record<string, string>,
): k8s.V1Job {
  const template = cron.spec!.jobTemplate;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: cron.metadata!.namespace,
      labels: template.metadata?.labels,
      annotations: {
        ...template.metadata?.annotations,
        [INSTANTIATE_ANNOTATION]: 'manual',
        ...annotations,
      },
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name: cron.metadata!.name!,
          uid: cron.metadata!.uid!,
          controller: true,
        },
      ],
    },
    spec: template.spec,
  };
}

export async function createJob(client: ClusterClient, job: k8s.V1Job) {
  return batchOf(client).createNamespacedJob({
    namespace: job.metadata!.namespace!,
    body: job,
  });
}

/** The Job, or undefined when it does not exist. */
export async function readJob(
  client: ClusterClient,
  namespace: string,
  name: string,
): Promise<k8s.V1Job | undefined> {
  try {
    return await batchOf(client).readNamespacedJob({ name, namespace });
  } catch (e) {
    if ((e as { code?: number }).code === 404) return undefined;
    throw e;
  }
}

/** A finished Job's outcome from its Complete / Failed condition; undefined while it runs. */
export function jobOutcome(job: k8s.V1Job): JobOutcome | undefined {
  const cond = (type: string) =>
    job.status?.conditions?.find(c => c.type === type && c.status === 'True');
  const complete = cond('Complete');
  if (complete) {
    return {
      state: 'succeeded',
      message: `${job.status?.succeeded ?? 0} pod(s) succeeded`,
    };
  }
  const failed = cond('Failed');
  if (failed) {
    return {
      state: 'failed',
      reason: failed.reason ?? 'Failed',
      message: failed.message ?? '',
    };
  }
  return undefined;
}

/** Why the Job's pods failed: each terminated container with exit code, reason, message. */
export async function podFailures(
  client: ClusterClient,
  namespace: string,
  job: string,
): Promise<string> {
  const pods = await client.core.listNamespacedPod({
    namespace,
    labelSelector: `job-name=${job}`,
  });
  const parts: string[] = [];
  for (const pod of pods.items) {
    for (const s of [
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.containerStatuses ?? []),
    ]) {
      const t = s.state?.terminated ?? s.lastState?.terminated;
      if (t && t.exitCode !== 0) {
        parts.push(
          `pod ${pod.metadata?.name} container ${s.name} exited ${
            t.exitCode
          } (${t.reason ?? 'Error'}${
            t.message ? `: ${t.message.trim()}` : ''
          })`,
        );
      }
    }
  }
  return parts.join('; ');
}

/**
 * Follows a Job to Complete or Failed by WATCHING it (no polling). Resolves with its
 * outcome, or a failed 'Timeout' / 'Deleted' outcome; re-watches when the server ends the
 * watch, gives up after 10 watches in a row that end at once.
 */
export function followJob(opts: {
  client: ClusterClient;
  namespace: string;
  name: string;
  timeoutMs: number;
  onProgress?: (message: string) => void;
  /** On abort (shutdown) following stops with EngineStoppedError; the Job runs on. */
  signal?: AbortSignal;
}): Promise<JobOutcome> {
  const { client, namespace, name } = opts;
  const path = `/apis/batch/v1/namespaces/${namespace}/jobs`;
  return new Promise((resolve, reject) => {
    let finished = false;
    let current: AbortController | undefined;
    let retry: NodeJS.Timeout | undefined;
    const deadline: { timer?: NodeJS.Timeout } = {};
    let lastActive = -1;
    const finish = (fn: () => void) => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline.timer);
      clearTimeout(retry);
      current?.abort();
      fn();
    };
    deadline.timer = setTimeout(
      () =>
        finish(() =>
          resolve({
            state: 'failed',
            reason: 'Timeout',
            message: `Job ${namespace}/${name} did not finish within ${Math.round(
              opts.timeoutMs / 1000,
            )}s; it is left in the cluster`,
          }),
        ),
      opts.timeoutMs,
    );
    opts.signal?.addEventListener(
      'abort',
      () =>
        finish(() =>
          reject(
            new EngineStoppedError(
              `stopped following Job ${namespace}/${name}: the backend is shutting down`,
            ),
          ),
        ),
      { once: true },
    );
    const start = (quickEnds: number) => {
      if (finished) return;
      const startedAt = Date.now();
      client.watch
        .watch(
          path,
          { fieldSelector: `metadata.name=${name}` },
          (type, job: k8s.V1Job) => {
            if (finished) return;
            if (type === 'DELETED') {
              finish(() =>
                resolve({
                  state: 'failed',
                  reason: 'Deleted',
                  message: `Job ${namespace}/${name} was deleted before it finished`,
                }),
              );
              return;
            }
            const outcome = jobOutcome(job);
            if (outcome) {
              finish(() => resolve(outcome));
              return;
            }
            const active = job.status?.active ?? 0;
            if (active !== lastActive) {
              lastActive = active;
              opts.onProgress?.(
                `Job ${name}: ${active} active, ${
                  job.status?.failed ?? 0
                } failed pod(s)`,
              );
            }
          },
          err => {
            if (finished) return;
            const quick = Date.now() - startedAt < 1000 ? quickEnds + 1 : 0;
            if (quick >= 10) {
              finish(() =>
                reject(
                  new Error(
                    `watch of Job ${name} keeps failing: ${err ?? 'closed'}`,
                  ),
                ),
              );
              return;
            }
            retry = setTimeout(() => start(quick), quick ? 1000 : 0);
          },
        )
        .then(w => {
          if (finished) w.abort();
          else current = w;
        })
        .catch(err => finish(() => reject(err)));
    };
    start(0);
  });
}
