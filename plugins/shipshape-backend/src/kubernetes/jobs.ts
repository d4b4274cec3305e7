import * as k8s from '@kubernetes/client-node';
import { ClusterClient } from './types';

/*
 * Jobs and CronJobs of one cluster: the reads, the create and the watch the backup runs and
 * the DR readiness facts use, and what a Job's conditions say.
 */

/** What `kubectl create job --from=cronjob/x` puts on the Job. */
export const INSTANTIATE_ANNOTATION = 'cronjob.kubernetes.io/instantiate';

export type JobOutcome =
  | { state: 'succeeded'; message: string }
  | { state: 'failed'; reason: string; message: string };

/** The CronJobs of a namespace that a label selector selects. */
export async function listCronJobs(
  client: ClusterClient,
  namespace: string,
  labelSelector: string,
): Promise<k8s.V1CronJob[]> {
  const list = await client.batch.listNamespacedCronJob({
    namespace,
    labelSelector,
  });
  return list.items;
}

/** Every Job of a namespace. */
export async function listJobs(
  client: ClusterClient,
  namespace: string,
): Promise<k8s.V1Job[]> {
  const list = await client.batch.listNamespacedJob({ namespace });
  return list.items;
}

/** Creates the Job in its metadata's namespace. */
export async function createJob(
  client: ClusterClient,
  job: k8s.V1Job,
): Promise<k8s.V1Job> {
  return client.batch.createNamespacedJob({
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
    return await client.batch.readNamespacedJob({ name, namespace });
  } catch (e) {
    if ((e as { code?: number }).code === 404) return undefined;
    throw e;
  }
}

/**
 * Watches one Job: `onEvent` gets each change (ADDED, MODIFIED, DELETED), `onEnd` the end of
 * the watch (the server closing it, or an error). Resolves once the watch is open, with the
 * controller that ends it.
 */
export function watchJob(
  client: ClusterClient,
  namespace: string,
  name: string,
  onEvent: (type: string, job: k8s.V1Job) => void,
  onEnd: (err: unknown) => void,
): Promise<AbortController> {
  return client.watch.watch(
    `/apis/batch/v1/namespaces/${namespace}/jobs`,
    { fieldSelector: `metadata.name=${name}` },
    onEvent,
    onEnd,
  );
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
