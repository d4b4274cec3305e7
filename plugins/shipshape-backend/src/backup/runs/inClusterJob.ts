import { InputError } from '@backstage/errors';
import { assertEntityMayUse } from '../config';
import {
  BACKUP_ID_ANNOTATION,
  createJob,
  findBackupCronJob,
  followJob,
  jobFromCronJob,
  manualJobName,
  podFailures,
  readJob,
} from '../inCluster';
import { BackupRecord, BackupStep } from '../store';
import { EngineStoppedError, OperationContext } from '../../operations/engine';
import { BackupRequest, RunContext, interruption, messageOf } from './context';

/** What the operation input of an in-cluster backup holds (to resume following its Job). */
interface InClusterInput {
  kubernetesId: string;
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

  /** Where an in-cluster backup would run: the environment and its backup CronJob. */
  async plan(req: { kubernetesId: string; environment: string }) {
    if (!this.run.clusters) {
      throw new InputError(
        'In-cluster backups need the kubernetes cluster config (kubernetes.clusterLocatorMethods and shipshape.environments)',
      );
    }
    const env = this.run.clusters.placement(req.environment, req);
    const client = this.run.clusters.operator(env);
    const cron = await findBackupCronJob(client, env, req.kubernetesId);
    return { env, client, cron };
  }

  /**
   * Submits an in-cluster backup, one backup per target like any other. The CronJob is
   * looked up first: none is a NotFoundError before anything is recorded.
   */
  async start(
    req: BackupRequest & { kubernetesId: string; environment: string },
  ): Promise<{ record: BackupRecord; done: Promise<BackupRecord> }> {
    assertEntityMayUse(req.target, req.entityRef);
    const { env, cron } = await this.plan(req);
    const cronName = cron.metadata!.name!;
    const input: InClusterInput = {
      kubernetesId: req.kubernetesId,
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
      const { env, client, cron } = await this.plan(input);
      const { jobName } = input;
      if (ctx.resumed) {
        await this.run.say(
          ctx,
          `Resuming at step ${step}: ${interruption(ctx.operation)}`,
          'warn',
        );
      }
      if (step === 'create-job') {
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
          status: 'succeeded',
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
