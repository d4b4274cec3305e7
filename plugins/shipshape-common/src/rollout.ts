/**
 * Payloads of the rollout API (`GET /entities/:kind/:namespace/:name/rollout`), shared by the
 * backend that builds them and the Rollout Status card that shows them: the models generated
 * from the backend's openapi.yaml, under the names both use.
 */
import type * as Api from './schema/openapi';

/** @public */
export type RolloutPhase = Api.WorkloadStatus['phase'];

/** @public */
export type RevisionInfo = Api.RevisionInfo;

/** @public */
export type PodInfo = Api.PodInfo;

/**
 * A Deployment, or an Argo Rollouts `Rollout` where the cluster has them.
 *
 * @public
 */
export type WorkloadStatus = Api.WorkloadStatus;

/**
 * One Argo Rollouts AnalysisRun of a Rollout: its phase and, per metric, the last measured value
 * and the condition it failed on.
 *
 * @public
 */
export type AnalysisRunInfo = Api.AnalysisRunInfo;

/** @public */
export type OperationSummary = Api.OperationSummary;

/** @public */
export type EnvironmentRollout = Api.EnvironmentRollout;

/** @public */
export type RolloutStatusResponse = Api.RolloutStatus;
