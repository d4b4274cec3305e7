import { InputError, NotFoundError } from '@backstage/errors';
import { EnvironmentConfig, KubernetesClusters } from '../kubernetes/clusters';
import {
  OperationContext,
  OperationHandler,
  OperationOutcome,
} from '../operations/engine';
import { followRollout } from './follow';
import {
  findUndoTarget,
  images,
  listEntityDeployments,
  patchImage,
  pickContainer,
  revisionOf,
  undoTo,
} from './kube';
import {
  imageRepository,
  imageTag,
  parseImageReference,
  validateTag,
} from './image';

export interface RolloutTimings {
  /** New pods in error or un-Ready this long stall the rollout. */
  stallAfterMs: number;
  /** Longest a rollout (or its rollback) is followed. */
  timeoutMs: number;
}

/** One Deployment's part in a deploy or rollback. */
export interface DeploymentChange {
  name: string;
  container: string;
  containerIndex: number;
  fromImage: string;
  toImage: string;
  fromRevision?: number;
  toRevision?: number;
  /** For rollbacks: the revision whose template is restored. */
  targetRevision?: number;
  outcome?: 'complete' | 'stalled' | 'rolled-back' | 'failed';
  message?: string;
}

export interface RolloutOperationInput {
  environment: string;
  cluster: string;
  namespace: string;
  changes: DeploymentChange[];
  changeCause: string;
  autoRollback: boolean;
}

interface Progress {
  phase: 'patching' | 'rolling-out' | 'rolling-back' | 'done';
  changes: DeploymentChange[];
  stallReason?: string;
}

export interface DeployRequest {
  kubernetesId: string;
  environment: string;
  image?: string;
  tag?: string;
  container?: string;
}

/** Validates a deploy and works out what would change; changes nothing. */
export async function planDeploy(
  clusters: KubernetesClusters,
  req: DeployRequest,
): Promise<{ env: EnvironmentConfig; changes: DeploymentChange[] }> {
  const env = clusters.environment(req.environment);
  if (!!req.image === !!req.tag) {
    throw new InputError('Give exactly one of image or tag');
  }
  if (req.image) parseImageReference(req.image, 'image');
  if (req.tag) validateTag(req.tag);
  const client = clusters.operator(env);
  const deployments = await listEntityDeployments(
    client,
    env.namespace,
    req.kubernetesId,
  );
  if (deployments.length === 0) {
    throw new NotFoundError(
      `No Deployment labelled backstage.io/kubernetes-id=${req.kubernetesId} in namespace ${env.namespace} of cluster ${env.cluster} (environment ${env.name})`,
    );
  }
  const changes = deployments.map(d => {
    const { index, container } = pickContainer(d, req.container);
    const fromImage = container.image ?? '';
    const toImage = req.image ?? `${imageRepository(fromImage)}:${req.tag}`;
    if (req.tag) parseImageReference(toImage, 'tag');
    return {
      name: d.metadata!.name!,
      container: container.name,
      containerIndex: index,
      fromImage,
      toImage,
      fromRevision: revisionOf(d),
    };
  });
  return { env, changes };
}

/** Validates a rollback (the revision must exist) and works out what would change. */
export async function planRollback(
  clusters: KubernetesClusters,
  req: { kubernetesId: string; environment: string; revision?: number },
): Promise<{ env: EnvironmentConfig; changes: DeploymentChange[] }> {
  const env = clusters.environment(req.environment);
  const client = clusters.operator(env);
  const deployments = await listEntityDeployments(
    client,
    env.namespace,
    req.kubernetesId,
  );
  if (deployments.length === 0) {
    throw new NotFoundError(
      `No Deployment labelled backstage.io/kubernetes-id=${req.kubernetesId} in namespace ${env.namespace} of cluster ${env.cluster} (environment ${env.name})`,
    );
  }
  const changes: DeploymentChange[] = [];
  for (const d of deployments) {
    const target = await findUndoTarget(client, d, req.revision);
    changes.push({
      name: d.metadata!.name!,
      container: '*',
      containerIndex: -1,
      fromImage: images(d.spec?.template).join(','),
      toImage: images(target.replicaSet.spec?.template).join(','),
      fromRevision: revisionOf(d),
      targetRevision: target.revision,
    });
  }
  return { env, changes };
}

abstract class RolloutHandlerBase implements OperationHandler {
  constructor(
    protected readonly clusters: KubernetesClusters,
    protected readonly timings: RolloutTimings,
  ) {}

  abstract run(ctx: OperationContext): Promise<OperationOutcome>;

  protected client(input: RolloutOperationInput) {
    return this.clusters.operator(this.clusters.environment(input.environment));
  }

  protected async read(input: RolloutOperationInput, name: string) {
    return this.client(input).apps.readNamespacedDeployment({
      name,
      namespace: input.namespace,
    });
  }

  /** Follows the rollout of each changed Deployment in parallel. */
  protected async followAll(
    ctx: OperationContext,
    input: RolloutOperationInput,
    changes: DeploymentChange[],
    generations: Map<string, number>,
  ) {
    return Promise.all(
      changes.map(async change => {
        const d = await this.read(input, change.name);
        const result = await followRollout({
          client: this.client(input),
          namespace: input.namespace,
          name: change.name,
          minGeneration:
            generations.get(change.name) ?? d.metadata?.generation ?? 0,
          expectedImages: images(d.spec?.template),
          stallAfterMs: this.timings.stallAfterMs,
          timeoutMs: this.timings.timeoutMs,
          signal: ctx.signal,
          onProgress: m => {
            ctx.log(m).catch(() => {});
          },
        });
        return { change, result };
      }),
    );
  }

  /** Rolls the given Deployments back to their from-revision and follows that. */
  protected async rollBack(
    ctx: OperationContext,
    input: RolloutOperationInput,
    progress: Progress,
    why: string,
  ): Promise<OperationOutcome> {
    progress.phase = 'rolling-back';
    progress.stallReason = why;
    await ctx.saveProgress(progress);
    const client = this.client(input);
    const generations = new Map<string, number>();
    for (const change of progress.changes) {
      const d = await this.read(input, change.name);
      if (
        images(d.spec?.template).includes(change.fromImage) &&
        !images(d.spec?.template).includes(change.toImage)
      ) {
        await ctx.log(`${change.name}: already back on ${change.fromImage}`);
        generations.set(change.name, d.metadata?.generation ?? 0);
        continue;
      }
      const target = await findUndoTarget(client, d, change.fromRevision);
      await ctx.log(
        `${change.name}: rolling back to revision ${target.revision} (${images(
          target.replicaSet.spec?.template,
        ).join(', ')})`,
        'warn',
      );
      const patched = await undoTo(
        client,
        d,
        target.replicaSet,
        `shipshape: automatic rollback of ${change.toImage}: ${why}`.slice(
          0,
          1000,
        ),
      );
      generations.set(change.name, patched.metadata?.generation ?? 0);
    }
    const results = await this.followAll(
      ctx,
      input,
      progress.changes,
      generations,
    );
    let ok = true;
    for (const { change, result } of results) {
      change.toRevision = revisionOf(result.deployment ?? {});
      change.outcome = result.state === 'complete' ? 'rolled-back' : 'failed';
      change.message = result.message;
      if (result.state !== 'complete') ok = false;
    }
    progress.phase = 'done';
    return {
      status: ok ? 'rolled-back' : 'failed',
      reason: ok
        ? `Rollout stalled (${why}); rolled back to revision ${progress.changes
            .map(c => `${c.name}@${c.fromRevision}`)
            .join(', ')}`
        : `Rollout stalled (${why}) and the rollback did not complete: ${results
            .filter(r => r.result.state !== 'complete')
            .map(r => `${r.change.name}: ${r.result.message}`)
            .join('; ')}`,
      result: progress,
    };
  }
}

/** `deploy`: set a new image, follow the rollout, roll back on a stall. */
export class DeployHandler extends RolloutHandlerBase {
  async run(ctx: OperationContext): Promise<OperationOutcome> {
    const input = ctx.operation.input as RolloutOperationInput;
    const saved = ctx.operation.result as Progress | undefined;
    const progress: Progress = saved?.phase
      ? saved
      : { phase: 'patching', changes: input.changes.map(c => ({ ...c })) };
    const client = this.client(input);

    if (progress.phase === 'rolling-back') {
      await ctx.log('Resuming: following the rollback');
      return this.rollBack(
        ctx,
        input,
        progress,
        progress.stallReason ?? 'stalled',
      );
    }
    const generations = new Map<string, number>();
    if (progress.phase === 'patching') {
      await ctx.saveProgress(progress);
      for (const change of progress.changes) {
        const d = await this.read(input, change.name);
        const current =
          d.spec?.template.spec?.containers[change.containerIndex];
        if (current?.image === change.toImage) {
          await ctx.log(`${change.name}: already set to ${change.toImage}`);
          generations.set(change.name, d.metadata?.generation ?? 0);
          continue;
        }
        change.fromRevision = revisionOf(d);
        change.fromImage = current?.image ?? change.fromImage;
        await ctx.log(
          `${change.name}: ${change.container} ${change.fromImage} -> ${change.toImage} (revision ${change.fromRevision})`,
        );
        const patched = await patchImage(
          client,
          d,
          change.containerIndex,
          change.toImage,
          input.changeCause,
        );
        generations.set(change.name, patched.metadata?.generation ?? 0);
      }
      progress.phase = 'rolling-out';
      await ctx.saveProgress(progress);
    } else {
      await ctx.log('Resuming: following the rollout');
    }

    const results = await this.followAll(
      ctx,
      input,
      progress.changes,
      generations,
    );
    const stalled = results.filter(r => r.result.state === 'stalled');
    for (const { change, result } of results) {
      change.toRevision = revisionOf(result.deployment ?? {});
      change.outcome = result.state;
      change.message = result.message;
    }
    if (stalled.length === 0) {
      progress.phase = 'done';
      return {
        status: 'succeeded',
        reason: `Rolled out ${progress.changes
          .map(
            c =>
              `${c.name} ${imageTag(c.fromImage)} -> ${imageTag(
                c.toImage,
              )} (revision ${c.fromRevision} -> ${c.toRevision})`,
          )
          .join(', ')}`,
        result: progress,
      };
    }
    const why = stalled
      .map(s => `${s.change.name}: ${s.result.message}`)
      .join('; ');
    await ctx.log(`Rollout stalled: ${why}`, 'error');
    if (!input.autoRollback) {
      progress.phase = 'done';
      return {
        status: 'failed',
        reason: `Rollout stalled (${why}); left as is (autoRollback=false)`,
        result: progress,
      };
    }
    return this.rollBack(ctx, input, progress, why);
  }
}

/** `rollback`: go back to the previous or a given revision and follow that. */
export class RollbackHandler extends RolloutHandlerBase {
  async run(ctx: OperationContext): Promise<OperationOutcome> {
    const input = ctx.operation.input as RolloutOperationInput;
    const saved = ctx.operation.result as Progress | undefined;
    const progress: Progress = saved?.phase
      ? saved
      : { phase: 'patching', changes: input.changes.map(c => ({ ...c })) };
    const client = this.client(input);
    const generations = new Map<string, number>();
    if (progress.phase === 'patching') {
      await ctx.saveProgress(progress);
      for (const change of progress.changes) {
        const d = await this.read(input, change.name);
        if (images(d.spec?.template).join(',') === change.toImage) {
          await ctx.log(`${change.name}: already on ${change.toImage}`);
          generations.set(change.name, d.metadata?.generation ?? 0);
          continue;
        }
        const target = await findUndoTarget(client, d, change.targetRevision);
        await ctx.log(
          `${change.name}: revision ${revisionOf(d)} -> template of revision ${
            target.revision
          } (${change.toImage})`,
        );
        const patched = await undoTo(
          client,
          d,
          target.replicaSet,
          input.changeCause,
        );
        generations.set(change.name, patched.metadata?.generation ?? 0);
      }
      progress.phase = 'rolling-out';
      await ctx.saveProgress(progress);
    } else {
      await ctx.log('Resuming: following the rollback');
    }
    const results = await this.followAll(
      ctx,
      input,
      progress.changes,
      generations,
    );
    for (const { change, result } of results) {
      change.toRevision = revisionOf(result.deployment ?? {});
      change.outcome = result.state === 'complete' ? 'complete' : 'stalled';
      change.message = result.message;
    }
    progress.phase = 'done';
    const bad = results.filter(r => r.result.state !== 'complete');
    return bad.length === 0
      ? {
          status: 'succeeded',
          reason: `Rolled back ${progress.changes
            .map(
              c =>
                `${c.name} to the template of revision ${c.targetRevision} (revision ${c.fromRevision} -> ${c.toRevision})`,
            )
            .join(', ')}`,
          result: progress,
        }
      : {
          status: 'failed',
          reason: `Rollback did not complete: ${bad
            .map(b => `${b.change.name}: ${b.result.message}`)
            .join('; ')}`,
          result: progress,
        };
  }
}
