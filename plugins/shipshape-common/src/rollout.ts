/**
 * Payloads of the rollout API (`GET /entities/:kind/:namespace/:name/rollout`), shared by the
 * backend that builds them and the Rollout Status card that shows them: the models generated
 * from the backend's openapi.yaml, under the names both use.
 */
import type {
  AnalysisRunInfo as ApiAnalysisRunInfo,
  EnvironmentRollout as ApiEnvironmentRollout,
  OperationSummary as ApiOperationSummary,
  PodInfo as ApiPodInfo,
  RevisionInfo as ApiRevisionInfo,
  RolloutStatus as ApiRolloutStatus,
  WorkloadStatus as ApiWorkloadStatus,
} from './schema/openapi';

/** @public */
export type RolloutPhase = ApiWorkloadStatus['phase'];

/** @public */
export type RevisionInfo = ApiRevisionInfo;

/** @public */
export type PodInfo = ApiPodInfo;

/**
 * A Deployment, or an Argo Rollouts `Rollout` where the cluster has them.
 *
 * @public
 */
export type WorkloadStatus = ApiWorkloadStatus;

/**
 * One Argo Rollouts AnalysisRun of a Rollout: its phase and, per metric, the last measured value
 * and the condition it failed on.
 *
 * @public
 */
export type AnalysisRunInfo = ApiAnalysisRunInfo;

/** @public */
export type OperationSummary = ApiOperationSummary;

/** @public */
export type EnvironmentRollout = ApiEnvironmentRollout;

/** @public */
export type RolloutStatusResponse = ApiRolloutStatus;
