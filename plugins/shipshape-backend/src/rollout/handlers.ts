import { ConflictError } from '@backstage/errors';
import { KubernetesClusters } from '../kubernetes/clusters';
import { assertWorkloadBelongs } from '../kubernetes/placement';
import {
  OperationContext,
  OperationHandler,
  OperationOutcome,
} from '../operations/engine';
import { followRollout } from '../kubernetes/follow';
import { ArgoAction, applyArgoAction } from './argoActions';
import {
  Workload,
  abortRollout,
  describe,
  findUndoTarget,
  images,
  kindOf,
  patchImage,
  readWorkload,
  revisionOf,
  undoTo,
} from '../kubernetes/workloads';
import { imageTag } from '../kubernetes/image';
import {
  HelmCli,
  HelmRelease,
  assertDeployableRelease,
  readReleases,
  rollbackTarget,
} from '../kubernetes/helm';
import {
  RolloutTimings,
  DeploymentChange,
  RolloutOperationInput,
} from './plan';

interface Progress {
  phase: 'patching' | 'rolling-out' | 'rolling-back' | 'done';
  changes: DeploymentChange[];
  stallReason?: string;
  /** The Helm revisions this operation made: its deploy or rollback, and an automatic rollback. */
  helm?: { revision?: number; rollbackRevision?: number };
}

type FollowResult = Awaited<ReturnType<typeof followRollout>>;

/**
 * One phase of a deploy or rollback: `apply` changes one Deployment (or returns undefined when
 * it is already where it should be), then every changed Deployment's rollout is followed.
 */
interface Phase {
  /** The saved phase in which the changes are (re)applied; other phases only follow. */
  applyIn: Progress['phase'];
  /** The phase saved once every change is applied. */
  next: Progress['phase'];
  /** Logged when a resumed operation skips straight to following. */
  resumeMessage: string;
  apply(
    change: DeploymentChange,
    deployment: Workload,
  ): Promise<Workload | undefined>;
  /**
   * For a release Helm manages: makes the one Helm revision of this phase (upgrade or rollback)
   * instead of `apply` per workload, or finds that it was made already (a resumed operation).
   */
  applyRelease?(progress: Progress): Promise<void>;
  /** The change's outcome once its rollout ended in this state. */
  outcome(state: FollowResult['state']): DeploymentChange['outcome'];
}

/** Shared by deploy and rollback: one phase runner (apply, save progress, follow, record). */
abstract class RolloutHandlerBase implements OperationHandler {
  constructor(
    protected readonly clusters: KubernetesClusters,
    protected readonly timings: RolloutTimings,
  ) {
    this.helm = new HelmCli(timings.helmBinary ?? 'helm', timings.timeoutMs);
  }

  protected readonly helm: HelmCli;

  abstract run(ctx: OperationContext): Promise<OperationOutcome>;

  protected client(input: RolloutOperationInput) {
    return this.clusters.operator(this.clusters.environment(input.environment));
  }

  protected place(input: RolloutOperationInput) {
    return {
      name: input.environment,
      namespace: input.namespace,
      release: input.release!,
    };
  }

  protected releases(input: RolloutOperationInput) {
    return readReleases(this.client(input), input.namespace, input.release!);
  }

  /** A revision newer than `after` that `made` recognises as this operation's (when resumed). */
  protected async madeAlready(
    input: RolloutOperationInput,
    after: number,
    made: (r: HelmRelease) => boolean,
  ): Promise<HelmRelease | undefined> {
    return (await this.releases(input)).find(r => r.version > after && made(r));
  }

  /**
   * `helm rollback <release> <revision>` (the revision must still exist), unless a rollback to
   * it newer than `after` is there already; returns the revision it made.
   */
  protected async helmRollback(
    ctx: OperationContext,
    input: RolloutOperationInput,
    revision: number,
    after: number,
  ): Promise<number> {
    const place = this.place(input);
    const done = await this.madeAlready(
      input,
      after,
      r => r.info.description === `Rollback to ${revision}`,
    );
    if (done) {
      await ctx.log(
        `Helm release ${place.namespace}/${place.release}: revision ${done.version} already rolled back to ${revision}`,
      );
      return done.version;
    }
    rollbackTarget(place, await this.releases(input), revision);
    await ctx.log(
      `helm rollback ${place.release} ${revision} -n ${place.namespace}`,
      'warn',
    );
    await this.helm.rollback(this.client(input), place, revision, ctx.signal);
    const made = (await this.releases(input)).at(-1)!;
    await ctx.log(
      `Helm release ${place.namespace}/${place.release}: revision ${made.version} (${made.info.status}: ${made.info.description})`,
    );
    return made.version;
  }

  /** The saved progress of a resumed operation, or a fresh one. */
  protected progressOf(ctx: OperationContext): Progress {
    const input = ctx.operation.input as RolloutOperationInput;
    const saved = ctx.operation.result as Progress | undefined;
    return saved?.phase
      ? saved
      : { phase: 'patching', changes: input.changes.map(c => ({ ...c })) };
  }

  /**
   * Runs one phase: applies the changes (only when `progress.phase` is `phase.applyIn`, so a
   * resumed operation does not change twice), saves progress, follows every rollout in
   * parallel and records each change's revision and outcome. Returns the follow results.
   */
  protected async runPhase(
    ctx: OperationContext,
    input: RolloutOperationInput,
    progress: Progress,
    phase: Phase,
  ): Promise<Array<{ change: DeploymentChange; result: FollowResult }>> {
    const client = this.client(input);
    const generations = new Map<string, number>();
    if (progress.phase === phase.applyIn) {
      await ctx.saveProgress(progress);
      const viaHelm = !!input.helm && !!phase.applyRelease;
      for (const change of progress.changes) {
        const d = await readWorkload(
          client,
          change.kind,
          input.namespace,
          change.name,
        );
        if (input.release) {
          // Checked when planned; again here, in case the workload changed hands since.
          const place = this.place(input);
          const managed = assertWorkloadBelongs(
            place,
            ctx.operation.entityRef,
            d,
          );
          if (viaHelm && !managed) {
            throw new ConflictError(
              `${describe(d)} is no longer managed by Helm release ${
                place.namespace
              }/${
                place.release
              }, so a Helm revision would not change it; start the operation again; nothing was changed`,
            );
          }
        }
        if (viaHelm) continue;
        const patched = (await phase.apply(change, d)) ?? d;
        generations.set(change.name, patched.metadata?.generation ?? 0);
      }
      if (viaHelm) {
        await phase.applyRelease!(progress);
        await ctx.saveProgress(progress);
      }
      progress.phase = phase.next;
      await ctx.saveProgress(progress);
    } else {
      await ctx.log(phase.resumeMessage);
    }
    const results = await Promise.all(
      progress.changes.map(async change => {
        const d = await readWorkload(
          client,
          change.kind,
          input.namespace,
          change.name,
        );
        const result = await followRollout({
          client,
          namespace: input.namespace,
          name: change.name,
          kind: change.kind,
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
        change.toRevision = revisionOf(result.deployment ?? {});
        change.outcome = phase.outcome(result.state);
        change.message = result.message;
        return { change, result };
      }),
    );
    return results;
  }

  /** Puts a Deployment's pod template back to a revision's (`kubectl rollout undo`). */
  protected async undo(
    input: RolloutOperationInput,
    d: Workload,
    revision: number | undefined,
    changeCause: string,
  ) {
    const client = this.client(input);
    const target = await findUndoTarget(client, d, revision);
    return {
      target,
      // The patch is guarded by the resourceVersion read; a controller writing the object
      // in between (Argo's, right after an abort) makes it fail (409, or 422 from the JSON
      // patch's test): read again and retry, a few times.
      patch: async () => {
        let current = d;
        for (let attempt = 1; ; attempt++) {
          try {
            return await undoTo(
              client,
              current,
              target.replicaSet,
              changeCause,
            );
          } catch (e) {
            const code = (e as { code?: number }).code;
            if (attempt >= 5 || (code !== 409 && code !== 422)) throw e;
            const fresh = await readWorkload(
              client,
              kindOf(d),
              d.metadata!.namespace!,
              d.metadata!.name!,
            );
            if (
              fresh.metadata?.resourceVersion ===
              current.metadata?.resourceVersion
            ) {
              throw e; // not a stale read: a real rejection
            }
            current = fresh;
          }
        }
      },
    };
  }

  /** Rolls the given Deployments back to their from-revision and follows that. */
  protected async rollBack(
    ctx: OperationContext,
    input: RolloutOperationInput,
    progress: Progress,
    why: string,
  ): Promise<OperationOutcome> {
    if (progress.phase !== 'rolling-back') {
      progress.phase = 'rolling-back';
      progress.stallReason = why;
    }
    const results = await this.runPhase(ctx, input, progress, {
      // Re-applied on resume: a Deployment already back on its old image is skipped.
      applyIn: 'rolling-back',
      next: 'rolling-back',
      resumeMessage: 'Resuming: following the rollback',
      applyRelease: async p => {
        for (const change of p.changes) {
          const d = await readWorkload(
            this.client(input),
            change.kind,
            input.namespace,
            change.name,
          );
          if (kindOf(d) === 'Rollout' && !(d as any).status?.abort) {
            await abortRollout(this.client(input), d);
            await ctx.log(`${change.name}: Rollout aborted`, 'warn');
          }
        }
        const from = input.helm!.fromRevision;
        p.helm = {
          ...p.helm,
          rollbackRevision: await this.helmRollback(
            ctx,
            input,
            from,
            p.helm?.revision ?? from,
          ),
        };
      },
      apply: async (change, current) => {
        let d = current;
        const now = images(d.spec?.template);
        if (now.includes(change.fromImage) && !now.includes(change.toImage)) {
          await ctx.log(`${change.name}: already back on ${change.fromImage}`);
          return undefined;
        }
        if (kindOf(d) === 'Rollout' && !(d as any).status?.abort) {
          // As `kubectl argo rollouts abort`: traffic and replicas back to stable at once.
          await abortRollout(this.client(input), d);
          await ctx.log(`${change.name}: Rollout aborted`, 'warn');
          d = await readWorkload(
            this.client(input),
            'Rollout',
            input.namespace,
            change.name,
          );
        }
        const { target, patch } = await this.undo(
          input,
          d,
          change.fromRevision,
          `shipshape: automatic rollback of ${change.toImage}: ${why}`.slice(
            0,
            1000,
          ),
        );
        await ctx.log(
          `${change.name}: rolling back to revision ${
            target.revision
          } (${images(target.replicaSet.spec?.template).join(', ')})`,
          'warn',
        );
        return patch();
      },
      outcome: state => (state === 'complete' ? 'rolled-back' : 'failed'),
    });
    progress.phase = 'done';
    const bad = results.filter(r => r.result.state !== 'complete');
    return {
      status: bad.length === 0 ? 'rolled-back' : 'failed',
      reason:
        bad.length === 0
          ? `Rollout stalled (${why}); rolled back to ${
              input.helm
                ? `Helm revision ${input.helm.fromRevision} (as revision ${progress.helm?.rollbackRevision})`
                : `revision ${progress.changes
                    .map(c => `${c.name}@${c.fromRevision}`)
                    .join(', ')}`
            }`
          : `Rollout stalled (${why}) and the rollback did not complete: ${bad
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
    const progress = this.progressOf(ctx);
    if (progress.phase === 'rolling-back') {
      await ctx.log('Resuming: following the rollback');
      return this.rollBack(
        ctx,
        input,
        progress,
        progress.stallReason ?? 'stalled',
      );
    }
    const results = await this.runPhase(ctx, input, progress, {
      applyIn: 'patching',
      next: 'rolling-out',
      resumeMessage: 'Resuming: following the rollout',
      applyRelease: async p => {
        const place = this.place(input);
        const from = input.helm!.fromRevision;
        const mark = `[operation ${ctx.operation.id}]`;
        const done = await this.madeAlready(input, from, r =>
          (r.info.description ?? '').endsWith(mark),
        );
        if (done) {
          await ctx.log(
            `Helm release ${place.namespace}/${place.release}: revision ${done.version} was made by this operation already`,
          );
          p.helm = { revision: done.version };
          return;
        }
        const current = assertDeployableRelease(
          place,
          await this.releases(input),
        );
        const image = p.changes[0].toImage;
        await ctx.log(
          `helm upgrade ${place.release} -n ${place.namespace}: revision ${
            current.version
          } (chart ${current.chart.metadata.name}-${
            current.chart.metadata.version
          }, its values) with image ${image}; ${p.changes
            .map(c => `${c.name}: ${c.fromImage}`)
            .join(', ')}`,
        );
        await this.helm.upgradeImage(
          this.client(input),
          place,
          current,
          image,
          `${input.changeCause.slice(0, 900)} ${mark}`,
          { signal: ctx.signal },
        );
        const made = (await this.releases(input)).at(-1)!;
        p.helm = { revision: made.version };
        await ctx.log(
          `Helm release ${place.namespace}/${place.release}: revision ${made.version} (${made.info.status})`,
        );
        for (const change of p.changes) {
          const d = await readWorkload(
            this.client(input),
            change.kind,
            input.namespace,
            change.name,
          );
          const now = d.spec?.template.spec?.containers[change.containerIndex];
          if (now?.image !== change.toImage) {
            throw new Error(
              `Helm revision ${made.version} sets ${change.name}'s ${change.container} to ${now?.image}, not ${change.toImage}: its chart does not take the image from image.repository/image.tag; roll back to revision ${current.version} from the deploy history`,
            );
          }
        }
      },
      apply: async (change, d) => {
        const current =
          d.spec?.template.spec?.containers[change.containerIndex];
        if (current?.image === change.toImage) {
          await ctx.log(`${change.name}: already set to ${change.toImage}`);
          return undefined;
        }
        change.fromRevision = revisionOf(d);
        change.fromImage = current?.image ?? change.fromImage;
        await ctx.log(
          `${change.name}: ${change.container} ${change.fromImage} -> ${change.toImage} (revision ${change.fromRevision})`,
        );
        return patchImage(
          this.client(input),
          d,
          change.containerIndex,
          change.toImage,
          input.changeCause,
        );
      },
      outcome: state => state,
    });
    const stalled = results.filter(r => r.result.state === 'stalled');
    if (stalled.length === 0) {
      progress.phase = 'done';
      return {
        status: 'succeeded',
        reason: `Rolled out ${
          progress.helm?.revision
            ? `Helm release ${input.namespace}/${input.release} revision ${input.helm?.fromRevision} -> ${progress.helm.revision}: `
            : ''
        }${progress.changes
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
    const progress = this.progressOf(ctx);
    const results = await this.runPhase(ctx, input, progress, {
      applyIn: 'patching',
      next: 'rolling-out',
      resumeMessage: 'Resuming: following the rollback',
      applyRelease: async p => {
        const { fromRevision, targetRevision } = input.helm!;
        p.helm = {
          revision: await this.helmRollback(
            ctx,
            input,
            targetRevision!,
            fromRevision,
          ),
        };
      },
      apply: async (change, d) => {
        if (images(d.spec?.template).join(',') === change.toImage) {
          await ctx.log(`${change.name}: already on ${change.toImage}`);
          return undefined;
        }
        const { target, patch } = await this.undo(
          input,
          d,
          change.targetRevision,
          input.changeCause,
        );
        await ctx.log(
          `${change.name}: revision ${revisionOf(d)} -> template of revision ${
            target.revision
          } (${change.toImage})`,
        );
        return patch();
      },
      outcome: state => (state === 'complete' ? 'complete' : 'stalled'),
    });
    progress.phase = 'done';
    const bad = results.filter(r => r.result.state !== 'complete');
    return bad.length === 0
      ? {
          status: 'succeeded',
          reason: input.helm
            ? `Rolled back Helm release ${input.namespace}/${
                input.release
              } to revision ${input.helm.targetRevision} (revision ${
                input.helm.fromRevision
              } -> ${progress.helm?.revision}): ${progress.changes
                .map(c => `${c.name} ${c.toImage}`)
                .join(', ')}`
            : `Rolled back ${progress.changes
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

/** A pause or promote operation's input: the Rollouts its request planned (ownership checked). */
export interface ArgoActionInput {
  environment: string;
  cluster: string;
  namespace: string;
  rollouts: string[];
}

const ARGO_ACTION_DONE: Record<ArgoAction, string> = {
  pause: 'Paused',
  promote: 'Promoted',
  abort: 'Aborted',
  retry: 'Retried',
};

/**
 * `kubectl argo rollouts pause` / `promote` / `abort` / `retry` as an operation (so it is
 * recorded, audited and listed like a deploy): applied at once; a resumed run applies it again,
 * which changes nothing more. Whether it fits the Rollout's state was checked when planned.
 */
export class ArgoActionHandler implements OperationHandler {
  constructor(
    private readonly clusters: KubernetesClusters,
    private readonly action: ArgoAction,
  ) {}

  async run(ctx: OperationContext): Promise<OperationOutcome> {
    const input = ctx.operation.input as ArgoActionInput;
    const client = this.clusters.operator(
      this.clusters.environment(input.environment),
    );
    const done = ARGO_ACTION_DONE[this.action];
    for (const name of input.rollouts) {
      await applyArgoAction(
        client,
        { metadata: { name, namespace: input.namespace } } as Workload,
        this.action,
      );
      await ctx.log(`${done} Rollout ${input.namespace}/${name}`);
    }
    return {
      status: 'succeeded',
      reason: `${done} ${input.rollouts.join(', ')} in ${input.environment}`,
      result: {},
    };
  }
}
