import * as k8s from '@kubernetes/client-node';

/*
 * The types kubernetes/ shares among its files and with the features: the configured clusters
 * and environments (read by clusters.ts, resolved per service by placement.ts) and the API
 * clients of one cluster.
 */

/** One cluster from `kubernetes.clusterLocatorMethods` (type `config`). */
export interface ClusterConfig {
  name: string;
  url: string;
  caData?: string;
  caFile?: string;
  skipTLSVerify: boolean;
  /** `authProvider` of the cluster entry (default serviceAccount). */
  authProvider: string;
  /** The read token (the one the stock Kubernetes plugin uses). */
  readToken?: () => string | undefined;
  /** The write token, from `shipshape.kubernetes.clusters[].operatorServiceAccountToken`. */
  operatorToken?: () => string | undefined;
}

/** An environment of `shipshape.environments` as configured (admin configuration). */
export interface EnvironmentSettings {
  name: string;
  cluster: string;
  /** A fixed namespace every service of the environment shares. */
  namespace?: string;
  /** One namespace per service (the golden path's `helm -n <service>`), instead of `namespace`. */
  namespacePerService: boolean;
  /**
   * In a per-service environment, services (by kubernetes-id) that still share a namespace,
   * e.g. those placed before the environment moved to one namespace per service.
   */
  sharedNamespaces?: Map<string, string>;
  /** Deploys here also need shipshapeProtectedDeployPermission (a stricter policy rule). */
  protected: boolean;
  /** Entity or owner (group) refs allowed to act here; absent = every entity. */
  allow?: string[];
  /** An environment-specific write token (overrides the cluster's operator token). */
  operatorToken?: () => string | undefined;
}

/**
 * Where one service runs in one environment: the environment's settings with the namespace
 * resolved for the service, and its Helm release (see `kubernetes/placement.ts`).
 */
export interface EnvironmentConfig extends EnvironmentSettings {
  namespace: string;
  /** The Helm release that manages the service's workloads there. */
  release: string;
}

/** The API clients for one cluster and one identity (reader or operator). */
export interface ClusterClient {
  cluster: string;
  kubeConfig: k8s.KubeConfig;
  apps: k8s.AppsV1Api;
  core: k8s.CoreV1Api;
  batch: k8s.BatchV1Api;
  watch: k8s.Watch;
}
