import { Entity } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { KubernetesClusters } from '../kubernetes/clusters';
import { EnvironmentConfig, EnvironmentSettings } from '../kubernetes/types';
import { WorkloadOwnership, workloadRefOf } from '../kubernetes/placement';
import {
  kindOf,
  listEntityWorkloads,
  patchImage,
} from '../kubernetes/workloads';
import { HelmCli } from '../kubernetes/helm';
import { OperationEngine } from '../operations/engine';
import { Operation } from '../operations/store';
import {
  DeploymentChange,
  HelmPlan,
  RolloutOperationInput,
  planDeploy,
  planPauseOrPromote,
  planRollback,
} from './plan';
import {
  ArgoActionRequest,
  DeployRequest,
  RollbackRequest,
  RolloutPlan,
} from '../schema/openapi/generated/models';
import { ArgoActionInput } from './handlers';
import { ArgoAction, assertArgoActionFits } from './argoActions';
import { readDeployHistory } from './history';
import { readRolloutStatus } from './status';
import { WorkloadCache } from '../kubernetes/cache';

/**
 * The request bodies, as openapi.yaml defines (and its validator checks) them; an absent
 * `dryRun` is false and an absent `autoRollback` true, as the document's defaults say.
 */
export type DeployBody = DeployRequest;
export type RollbackBody = RollbackRequest;
export type ArgoActionBody = ArgoActionRequest;

/** What a deploy or rollback would change (a dry run's answer) or the operation it started. */
export type RolloutResult =
  | { dryRun: true; plan: Omit<RolloutPlan, 'dryRun'> }
  | { dryRun: false; operation: Operation };

interface Planned {
  env: EnvironmentConfig;
  changes: DeploymentChange[];
  changeCause: string;
  autoRollback: boolean;
  helm?: HelmPlan;
}

/**
 * Deploy, rollback, pause/promote and rollout status of one entity's workloads: each plans
 * against the cluster with the entity's ownership checks, then answers a dry run with the plan
 * or submits the operation to the engine. Who may call it is the router's check.
 */
export class RolloutService {
  private constructor(
    private readonly deps: {
      engine: OperationEngine;
      clusters: KubernetesClusters;
      ownership: WorkloadOwnership;
      /** Per-cluster timeout of the status read. */
      statusTimeoutMs: number;
      /** The `helm` binary (default `helm` on PATH), for deploys of releases Helm manages. */
      helmBinary?: string;
      /** The watched workloads: the status is read from them where their watches are synced. */
      cache?: WorkloadCache;
    },
  ) {
    this.helm = new HelmCli(deps.helmBinary ?? 'helm', 120_000);
  }

  private readonly helm: HelmCli;

  static create(deps: RolloutService['deps']): RolloutService {
    return new RolloutService(deps);
  }

  /** The configured environment of that name (InputError naming the configured ones). */
  environment(name: string): EnvironmentSettings {
    return this.deps.clusters.environment(name);
  }

  async deploy(
    entity: Entity,
    entityRef: string,
    who: string,
    body: DeployBody,
  ): Promise<RolloutResult> {
    const { clusters, ownership } = this.deps;
    const workload = workloadRefOf(entity);
    const { env, changes, helm, release } = await planDeploy(
      clusters,
      {
        workload,
        environment: body.environment,
        image: body.image,
        tag: body.tag,
        container: body.container,
      },
      ownership.of(entity),
    );
    const changeCause = `shipshape deploy by ${who}${
      body.reason ? `: ${body.reason}` : ''
    }`.slice(0, 1000);
    if (body.dryRun && release) {
      // Helm renders the release's chart with its values and the new image, and the API server
      // validates the result, without persisting anything.
      await this.helm.upgradeImage(
        clusters.operator(env),
        env,
        release,
        changes[0].toImage,
        changeCause,
        { dryRun: true },
      );
    } else if (body.dryRun) {
      // Server-side dry run: the API server validates (admission included) without persisting.
      const client = clusters.operator(env);
      const current = await listEntityWorkloads(
        client,
        env.namespace,
        workload.kubernetesId,
      );
      for (const change of changes) {
        const d = current.find(
          x =>
            x.metadata?.name === change.name &&
            kindOf(x) === (change.kind ?? 'Deployment'),
        )!;
        await patchImage(
          client,
          d,
          change.containerIndex,
          change.toImage,
          changeCause,
          true,
        );
      }
    }
    return this.submit('deploy', entityRef, who, body, {
      env,
      changes,
      changeCause,
      autoRollback: body.autoRollback !== false,
      helm,
    });
  }

  async rollback(
    entity: Entity,
    entityRef: string,
    who: string,
    body: RollbackBody,
  ): Promise<RolloutResult> {
    const { env, changes, helm } = await planRollback(
      this.deps.clusters,
      {
        workload: workloadRefOf(entity),
        environment: body.environment,
        revision: body.revision,
      },
      this.deps.ownership.of(entity),
    );
    const changeCause = `shipshape rollback by ${who} to ${
      helm
        ? `Helm revision ${helm.targetRevision}`
        : `revision ${changes.map(c => c.targetRevision).join(',')}`
    }${body.reason ? `: ${body.reason}` : ''}`.slice(0, 1000);
    return this.submit('rollback', entityRef, who, body, {
      env,
      changes,
      changeCause,
      autoRollback: false,
      helm,
    });
  }

  /**
   * `kubectl argo rollouts pause` / `promote` on the entity's Rollouts: an operation of its own
   * kind (recorded, audited, listed with the entity's others), applied at once and answered
   * when done.
   */
  async pauseOrPromote(
    entity: Entity,
    entityRef: string,
    who: string,
    action: ArgoAction,
    body: ArgoActionRequest,
  ) {
    const { env, rollouts } = await planPauseOrPromote(
      this.deps.clusters,
      { workload: workloadRefOf(entity), environment: body.environment },
      this.deps.ownership.of(entity),
    );
    // 409 before anything changes when the action does not fit a Rollout's state
    for (const r of rollouts) assertArgoActionFits(action, env.name, r);
    const answer = {
      action,
      dryRun: body.dryRun === true,
      environment: env.name,
      cluster: env.cluster,
      namespace: env.namespace,
      rollouts: rollouts.map(r => r.metadata!.name!),
    };
    if (body.dryRun) return answer;
    const input: ArgoActionInput = {
      environment: env.name,
      cluster: env.cluster,
      namespace: env.namespace,
      rollouts: answer.rollouts,
    };
    const { engine } = this.deps;
    const { id } = await engine.submit({
      kind: action,
      entityRef,
      target: `${env.cluster}/${env.namespace}/argo:${[...answer.rollouts]
        .sort()
        .join(',')}`.slice(0, 255),
      requestedBy: who,
      input,
    });
    const done = await engine.waitFor(id);
    if (done.status !== 'succeeded') {
      throw new Error(
        `${action} of ${answer.rollouts.join(', ')} in ${env.name} ${
          done.status
        }: ${done.outcomeReason ?? `see operation ${id}`}`,
      );
    }
    return answer;
  }

  /** The entity's rollout in every environment, with its recent deploys and rollbacks. */
  async status(entity: Entity, entityRef: string) {
    const { clusters, engine } = this.deps;
    if (clusters.environments().length === 0) {
      throw new InputError(
        'No environments are configured: set shipshape.environments in app-config (each a name, a cluster from kubernetes.clusterLocatorMethods and a namespace)',
      );
    }
    const operations = await engine.store.listByEntity(entityRef, {
      kind: ['deploy', 'rollback', 'pause', 'promote', 'abort', 'retry'],
      limit: 50,
    });
    return readRolloutStatus({
      clusters,
      workload: workloadRefOf(entity),
      entityRef,
      timeoutMs: this.deps.statusTimeoutMs,
      operations,
      cache: this.deps.cache,
    });
  }

  /**
   * Every release of the entity's Helm release per environment (from the portal, the workflow
   * or anyone with `helm`), newest first, with the portal's operation for those it started.
   */
  async history(entity: Entity, entityRef: string) {
    const { clusters, engine } = this.deps;
    const operations = await engine.store.listByEntity(entityRef, {
      kind: ['deploy', 'rollback'],
      limit: 200,
    });
    return readDeployHistory({
      clusters,
      workload: workloadRefOf(entity),
      timeoutMs: this.deps.statusTimeoutMs,
      operations,
    });
  }

  /** Answers a dry run with the plan, else submits the operation to the engine. */
  private async submit(
    kind: 'deploy' | 'rollback',
    entityRef: string,
    who: string,
    body: { reason?: string; dryRun?: boolean },
    { env, autoRollback, ...planned }: Planned,
  ): Promise<RolloutResult> {
    const shown = {
      environment: env.name,
      cluster: env.cluster,
      namespace: env.namespace,
      ...planned,
    };
    if (body.dryRun) return { dryRun: true, plan: shown };
    const input: RolloutOperationInput = {
      ...shown,
      release: env.release,
      autoRollback,
    };
    const operation = await this.deps.engine.submit({
      kind,
      entityRef,
      target: targetOf(env.cluster, env.namespace, planned.changes),
      requestedBy: who,
      reason: body.reason,
      input,
    });
    return { dryRun: false, operation };
  }
}

/** The conflict key: two active operations on the same Deployments (or Rollouts) are refused. */
function targetOf(
  cluster: string,
  namespace: string,
  changes: DeploymentChange[],
) {
  return `${cluster}/${namespace}/${changes
    .map(c => (c.kind === 'Rollout' ? `Rollout:${c.name}` : c.name))
    .sort()
    .join(',')}`.slice(0, 255);
}
