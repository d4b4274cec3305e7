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
  };
  current: RevisionInfo;
  previous?: RevisionInfo;
  phase: RolloutPhase;
  reason: string;
  /** Pods with an error (all pods when there are few). */
  pods: PodInfo[];
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
