import { Entity } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import * as k8s from '@kubernetes/client-node';
import { assertEntityMayUse } from '../config';
import {
  BACKUP_ID_ANNOTATION,
  findBackupCronJob,
  followJob,
  manualJobName,
  podFailures,
} from '../inCluster';
import { createJob, jobFromCronJob, readJob } from '../../kubernetes/jobs';
import { BackupRecord, BackupStep } from '../store';
import { EngineStoppedError, OperationContext } from '../../operations/engine';
import {
  WorkloadRef,
  assertWorkloadBelongs,
  workloadRefOf,
} from '../../kubernetes/placement';
import { BackupRequest, RunContext, interruption, messageOf } from './context';

/** What the operation input of an in-cluster backup holds (to resume following its Job). */
interface InClusterInput {
  kubernetesId: string;
  /** The entity's backstage.io/kubernetes-namespace, when it names one. */
  namespace?: string;
  environment: string;
  jobName: string;
}

/**
 * In-cluster backups: a manual Job from the service's backup CronJob (as `kubectl create
 * job --from=cronjob/<name>` makes it), followed to Complete or Failed. Unlike a dump, a run
 * resumes on the replica that takes it over: the Job runs on in the cluster.
 */
export class InClusterJobBackups {
  constructor(private readonly run: RunContext) {}

  /**
   * Where an in-cluster backup of the entity would run: the environment and its backup
   * CronJob, once the same ownership check as a deploy's has accepted them (the environment's
   * allow-list, the namespace's owner, the CronJob's shipshape.dev/entity and Helm release,
   * no other entity with the kubernetes-id): NotAllowedError / ConflictError otherwise.
   */
  async plan(req: { entity: Entity; environment: string }) {
    const { ownership } = this.run;
    if (!ownership) {
      throw new Error(
        'In-cluster backups need the ownership check (BackupService ownership)',
      );
    }
    const { env, client, cron } = this.locate({
      ...workloadRefOf(req.entity),
      environment: req.environment,
    });
    // the check's own reads (namespace, catalog) run while the CronJob is looked up
    await Promise.all([
      cron,
      ownership.of(req.entity)(
        client,
        env,
        cron.then(c => [cronJobOf(c)]),
      ),
    ]);
    return { env, client, cron: await cron };
  }

  /** The environment, its operator client and the (pending) lookup of the backup CronJob. */
  private locate(req: WorkloadRef & { environment: string }) {
    if (!this.run.clusters) {
      throw new InputError(
        'In-cluster backups need the kubernetes cluster config (kubernetes.clusterLocatorMethods and shipshape.environments)',
      );
    }
    const env = this.run.clusters.placement(req.environment, req);
    const client = this.run.clusters.operator(env);
    const cron = findBackupCronJob(client, env, req.kubernetesId);
    return { env, client, cron };
  }

  /**
   * Submits an in-cluster backup, one backup per target like any other. The CronJob is
   * looked up and checked first: none is a NotFoundError, another entity's a NotAllowedError,
   * before anything is recorded.
   */
  async start(
    req: BackupRequest & { entity: Entity; environment: string },
  ): Promise<{ record: BackupRecord; done: Promise<BackupRecord> }> {
    assertEntityMayUse(req.target, req.entityRef);
    const { env, cron } = await this.plan(req);
    const cronName = cron.metadata!.name!;
    const input: InClusterInput = {
      ...workloadRefOf(req.entity),
      environment: env.name,
      jobName: manualJobName(cronName),
    };
    return this.run.submitBackup(
      req,
      { method: 'in-cluster', ...input },
      () => ({
        method: 'in-cluster',
        storageType: 'in-cluster',
        storageKey: `${env.cluster}/${env.namespace}/cronjob/${cronName}`,
        location: `${env.cluster}/${env.namespace}/job/${input.jobName}`,
        step: 'create-job',
      }),
    );
  }

  /**
   * Creates the Job (unless an earlier runner did) and follows it to Complete or Failed. On
   * shutdown it stops following and leaves the run to the next runner, which resumes here.
   */
  async execute(ctx: OperationContext, rec: BackupRecord) {
    const input = ctx.operation.input as InClusterInput;
    const started = Date.now();
    let step: BackupStep = rec.step ?? 'create-job';
    try {
      const located = this.locate(input);
      const { env, client } = located;
      const cron = await located.cron;
      const { jobName } = input;
      if (ctx.resumed) {
        await this.run.say(
          ctx,
          `Resuming at step ${step}: ${interruption(ctx.operation)}`,
          'warn',
        );
      }
      if (step === 'create-job') {
        // Checked when planned; again here, in case the CronJob changed hands since.
        assertWorkloadBelongs(env, ctx.operation.entityRef, cronJobOf(cron));
        const job = jobFromCronJob(cron, jobName, {
          [BACKUP_ID_ANNOTATION]: rec.id,
        });
        await createJob(client, job).catch(e => {
          // a runner that stopped right after creating it: follow that Job
          if (!(ctx.resumed && (e as { code?: number }).code === 409)) throw e;
        });
        await this.run.say(
          ctx,
          `Created Job ${rec.location} from cronjob/${cron.metadata!.name}`,
        );
        step = 'job';
        await this.run.setStep(ctx, step);
      } else if (!(await readJob(client, env.namespace, jobName))) {
        throw new Error(
          `Job ${rec.location} no longer exists, so its outcome is unknown`,
        );
      }
      const outcome = await followJob({
        client,
        namespace: env.namespace,
        name: jobName,
        timeoutMs: this.run.config.inClusterTimeoutMs,
        signal: ctx.signal,
        onProgress: m => void this.run.say(ctx, m),
      });
      if (outcome.state === 'succeeded') {
        await this.run.store.finish(rec.id, {
          end: 'completed',
          durationMs: Date.now() - Date.parse(rec.startedAt),
        });
        await this.run.say(ctx, `Job ${jobName} succeeded: ${outcome.message}`);
        return;
      }
      const pods = await podFailures(client, env.namespace, jobName).catch(
        e => `pods not readable: ${messageOf(e)}`,
      );
      throw new Error(
        `Job ${jobName} failed: ${outcome.reason}${
          outcome.message ? `: ${outcome.message}` : ''
        }${pods ? `; ${pods}` : ''}`,
      );
    } catch (e) {
      if (e instanceof EngineStoppedError) throw e;
      await this.run.fail(ctx, {
        of: 'backup',
        failedStep: step,
        error: messageOf(e),
        durationMs: Date.now() - started,
      });
    }
  }
}

/** A listed CronJob (list items carry no kind), named as one in the ownership messages. */
function cronJobOf(cron: k8s.V1CronJob) {
  return { ...cron, kind: 'CronJob' };
}
