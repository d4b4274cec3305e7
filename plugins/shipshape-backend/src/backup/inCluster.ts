import { InputError, NotFoundError } from '@backstage/errors';
import * as k8s from '@kubernetes/client-node';
import { ECOSYSTEM_ANNOTATIONS } from '@shipshape/plugin-shipshape-common';
import { randomBytes } from 'crypto';
import { ClusterClient, EnvironmentConfig } from '../kubernetes/types';
import { EngineStoppedError } from '../operations/engine';
import {
  JobOutcome,
  jobOutcome,
  listCronJobs,
  watchJob,
} from '../kubernetes/jobs';
import { listPods } from '../kubernetes/pods';

/** The Shipshape backup record a manual Job belongs to. */
export const BACKUP_ID_ANNOTATION = 'shipshape.dev/backup-id';
const COMPONENT_LABEL = 'app.kubernetes.io/component';

/**
 * The entity's backup CronJob in an environment: labelled with its kubernetes-id (the
 * chart's labels), preferring the one labelled app.kubernetes.io/component=backup.
 */
export async function findBackupCronJob(
  client: ClusterClient,
  env: EnvironmentConfig,
  kubernetesId: string,
): Promise<k8s.V1CronJob> {
  let items = await listCronJobs(
    client,
    env.namespace,
    `${ECOSYSTEM_ANNOTATIONS.kubernetesId}=${kubernetesId}`,
  );
  const labelled = items.filter(
    c => c.metadata?.labels?.[COMPONENT_LABEL] === 'backup',
  );
  if (labelled.length) items = labelled;
  const where = `labelled ${ECOSYSTEM_ANNOTATIONS.kubernetesId}=${kubernetesId} in namespace ${env.namespace} of cluster ${env.cluster} (environment ${env.name})`;
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

/** Why the Job's pods failed: each terminated container with exit code, reason, message. */
export async function podFailures(
  client: ClusterClient,
  namespace: string,
  job: string,
): Promise<string> {
  const pods = await listPods(client, namespace, `job-name=${job}`);
  const parts: string[] = [];
  for (const pod of pods) {
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
      watchJob(
        client,
        namespace,
        name,
        (type, job) => {
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
