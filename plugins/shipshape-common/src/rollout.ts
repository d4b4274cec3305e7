/**
 * Payloads of the rollout API (`GET /entities/:kind/:namespace/:name/rollout`), shared by the
 * backend that builds them and the Rollout Status card that shows them.
 */

/** @public */
export type RolloutPhase =
  | 'complete'
  | 'progressing'
  | 'paused'
  | 'stalled'
  | 'degraded';

/** @public */
export interface RevisionInfo {
  revision?: number;
  images: string[];
  tags: string[];
  changeCause?: string;
}

/** @public */
export interface PodInfo {
  name: string;
  phase?: string;
  ready: boolean;
  restarts: number;
  revision?: 'current' | 'previous' | 'other';
  node?: string;
  error?: { reason: string; message?: string; container: string };
}

/** @public */
export interface WorkloadStatus {
  /** A Deployment, or an Argo Rollouts `Rollout` where the cluster has them. */
  kind: 'Deployment' | 'Rollout';
  name: string;
  namespace: string;
  replicas: {
    desired: number;
    updated: number;
    ready: number;
    available: number;
  };
  strategy: {
    /** RollingUpdate / Recreate (Deployment); Canary / BlueGreen (Rollout). */
    type: string;
    maxSurge?: string;
    maxUnavailable?: string;
    /** Canary: the current step (1-based) of how many, and the traffic weight set. */
    canaryStep?: number;
    canarySteps?: number;
    canaryWeight?: number;
    /** BlueGreen: the pod-template hashes the active and preview services select. */
    activeSelector?: string;
    previewSelector?: string;
    /** Canary: every step as text (`setWeight 25`, `analysis slo`, `pause until promoted`). */
    steps?: string[];
  };
  current: RevisionInfo;
  previous?: RevisionInfo;
  phase: RolloutPhase;
  reason: string;
  /** Pods with an error (all pods when there are few). */
  pods: PodInfo[];
  /** A Rollout's analysis runs (its SLO analysis), newest first, at most three. */
  analysisRuns?: AnalysisRunInfo[];
}

/**
 * One Argo Rollouts AnalysisRun of a Rollout: its phase and, per metric, the last measured value
 * and the condition it failed on.
 *
 * @public
 */
export interface AnalysisRunInfo {
  name: string;
  /** Pending, Running, Successful, Failed, Error or Inconclusive (Argo's phases). */
  phase: string;
  /** The Rollout revision it analysed. */
  revision?: number;
  startedAt?: string;
  message?: string;
  metrics: Array<{
    name: string;
    phase: string;
    /** The last measurement's value, as Argo records it (e.g. `[0.23]`). */
    value?: string;
    failureCondition?: string;
    message?: string;
  }>;
}

/** @public */
export interface OperationSummary {
  id: string;
  kind: string;
  status: string;
  requestedBy: string;
  reason?: string;
  outcomeReason?: string;
  createdAt: string;
  finishedAt?: string;
}

/** @public */
export interface EnvironmentRollout {
  environment: string;
  cluster: string;
  namespace: string;
  /** ok, or why the cluster could not be read; the other environments still show. */
  status: 'ok' | 'unreachable' | 'forbidden' | 'error';
  error?: string;
  durationMs: number;
  workloads: WorkloadStatus[];
  lastOperation?: OperationSummary;
}

/** @public */
export interface RolloutStatusResponse {
  entityRef: string;
  kubernetesId: string;
  environments: EnvironmentRollout[];
}
