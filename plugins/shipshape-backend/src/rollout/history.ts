import { KubernetesClusters } from '../kubernetes/clusters';
import { readReleases, revisionOfRelease } from '../kubernetes/helm';
import { WorkloadRef } from '../kubernetes/placement';
import { withDeadline } from '../http/deadline';
import { Operation } from '../operations/store';
import {
  DeployHistory,
  DeployHistoryRelease,
  EnvironmentDeployHistory,
} from '../schema/openapi/generated/models';
import { classify } from './status';

// The answer's types are openapi.yaml's (DeployHistory, its environments and releases).
type DeployHistoryResponse = DeployHistory;
type DeployHistoryEntry = DeployHistoryRelease;

/** The Helm revisions a deploy or rollback operation made (its own and an automatic rollback). */
function revisionsOf(op: Operation): number[] {
  const helm = (op.result as { helm?: Record<string, number> } | undefined)
    ?.helm;
  return [helm?.revision, helm?.rollbackRevision].filter(
    (r): r is number => typeof r === 'number',
  );
}

/**
 * Every environment's Helm history of the entity's release (read from Helm's release records
 * with the environment's operator credentials: the records hold values, which the read token
 * may not see), each within its own deadline. Only revision, status, description, time, chart
 * and images leave the backend, never values or manifests.
 */
export async function readDeployHistory(options: {
  clusters: KubernetesClusters;
  workload: WorkloadRef;
  timeoutMs: number;
  operations: Operation[];
}): Promise<DeployHistoryResponse> {
  const { clusters, workload } = options;
  const environments = await Promise.all(
    clusters
      .environments()
      .map(async (settings): Promise<EnvironmentDeployHistory> => {
        const base = {
          environment: settings.name,
          cluster: settings.cluster,
          namespace:
            settings.namespace ?? workload.namespace ?? workload.kubernetesId,
          release: workload.kubernetesId,
          releases: [],
        };
        try {
          const env = clusters.placement(settings.name, workload);
          base.namespace = env.namespace;
          const records = await withDeadline(
            `cluster ${env.cluster}`,
            options.timeoutMs,
            () =>
              readReleases(clusters.operator(env), env.namespace, env.release),
          );
          if (!records.length) return { ...base, status: 'not-helm' };
          const ops = options.operations.filter(
            op =>
              (op.input as { environment?: string })?.environment === env.name,
          );
          return {
            ...base,
            status: 'ok',
            releases: records.reverse().map(r => {
              const entry: DeployHistoryEntry = revisionOfRelease(r);
              const op = ops.find(o => revisionsOf(o).includes(r.version));
              if (op) {
                entry.operation = {
                  id: op.id,
                  kind: op.kind,
                  status: op.status,
                  requestedBy: op.requestedBy,
                  reason: op.reason,
                };
              }
              return entry;
            }),
          };
        } catch (e) {
          return { ...base, ...classify(e, 'operator') };
        }
      }),
  );
  return { kubernetesId: workload.kubernetesId, environments };
}
