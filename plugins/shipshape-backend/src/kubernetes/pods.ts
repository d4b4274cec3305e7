import * as k8s from '@kubernetes/client-node';
import { ClusterClient } from './types';

/*
 * Reads of pods, their disruption budgets and their nodes (the DR readiness facts of a
 * workload); the workloads themselves are read in workloads.ts.
 */

/** The pods of a namespace that a label selector selects. */
export async function listPods(
  client: ClusterClient,
  namespace: string,
  labelSelector: string,
): Promise<k8s.V1Pod[]> {
  const list = await client.core.listNamespacedPod({
    namespace,
    labelSelector,
  });
  return list.items;
}

/** Every PodDisruptionBudget (policy/v1) of a namespace. */
export async function listPodDisruptionBudgets(
  client: ClusterClient,
  namespace: string,
): Promise<k8s.V1PodDisruptionBudget[]> {
  const list = await client.kubeConfig
    .makeApiClient(k8s.PolicyV1Api)
    .listNamespacedPodDisruptionBudget({ namespace });
  return list.items;
}

/** The node, or undefined when it does not exist (any other failure throws). */
export async function readNode(
  client: ClusterClient,
  name: string,
): Promise<k8s.V1Node | undefined> {
  try {
    return await client.core.readNode({ name });
  } catch (e) {
    if ((e as { code?: number }).code === 404) return undefined;
    throw e;
  }
}
