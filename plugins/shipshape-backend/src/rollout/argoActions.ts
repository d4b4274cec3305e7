import { ConflictError } from '@backstage/errors';
import { ArgoRollout } from '../kubernetes/argo';
import { ClusterClient } from '../kubernetes/types';
import {
  Workload,
  abortRollout,
  pauseOrPromote,
  retryRollout,
} from '../kubernetes/workloads';

/** What the portal may do to an entity's Argo Rollouts, as `kubectl argo rollouts <action>`. */
export type ArgoAction = 'pause' | 'promote' | 'abort' | 'retry';

/** A Rollout waits at a pause: a canary pause step, blue-green before the switch, or paused by hand. */
function paused(r: ArgoRollout): boolean {
  return (
    r.spec?.paused === true ||
    (r.status?.pauseConditions?.length ?? 0) > 0 ||
    r.status?.phase === 'Paused'
  );
}

/** Healthy on the revision it runs: nothing is being released. */
function settled(r: ArgoRollout): boolean {
  return (
    r.status?.phase === 'Healthy' &&
    !r.status?.abort &&
    (!r.status?.stableRS || r.status.stableRS === r.status.currentPodHash)
  );
}

/**
 * Refuses an action that does not fit the Rollout's state, before anything changes (409, saying
 * what to do instead): Promote on a Rollout that is not paused, Abort on one already healthy or
 * aborted, Retry on one that is not aborted. Pause is always accepted.
 */
export function assertArgoActionFits(
  action: ArgoAction,
  environment: string,
  w: Workload,
): void {
  const r = w as unknown as ArgoRollout;
  const where = `Rollout ${r.metadata.namespace}/${r.metadata.name} in environment ${environment}`;
  const phase = `phase ${r.status?.phase ?? 'unknown'}${
    r.status?.message ? `: ${r.status.message}` : ''
  }`;
  const nothing = 'nothing was changed';
  if (action === 'promote') {
    if (r.status?.abort) {
      throw new ConflictError(
        `${where} was aborted (${phase}), so there is nothing to promote: Retry it to release its revision again, or deploy another image; ${nothing}`,
      );
    }
    if (!paused(r)) {
      throw new ConflictError(
        `${where} is not paused (${phase}), so there is nothing to promote: Promote moves on a Rollout that waits at a pause step (a canary step or a blue-green preview); deploy a new image to start a release; ${nothing}`,
      );
    }
  } else if (action === 'abort') {
    if (r.status?.abort) {
      throw new ConflictError(
        `${where} is aborted already (${phase}): Retry it, or roll back to an earlier revision; ${nothing}`,
      );
    }
    if (settled(r)) {
      throw new ConflictError(
        `${where} is already healthy on its current revision (${phase}), so there is no release to abort: to go back to an earlier release, roll back instead; ${nothing}`,
      );
    }
  } else if (action === 'retry' && !r.status?.abort) {
    throw new ConflictError(
      `${where} is not aborted (${phase}), so there is nothing to retry: Retry restarts a release that was aborted (by hand or by a failed analysis); ${nothing}`,
    );
  }
}

/**
 * Applies one action as the `kubectl argo rollouts` plugin does: pause/promote (spec.paused and
 * the pause conditions), abort (status.abort: traffic and replicas back to the stable pods at
 * once), retry (status.abort cleared: the controller releases the revision again).
 */
export async function applyArgoAction(
  client: ClusterClient,
  w: Workload,
  action: ArgoAction,
): Promise<void> {
  if (action === 'pause' || action === 'promote') {
    await pauseOrPromote(client, w, action);
  } else if (action === 'abort') {
    await abortRollout(client, w);
  } else {
    await retryRollout(client, w);
  }
}
