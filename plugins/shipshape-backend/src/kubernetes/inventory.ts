import * as k8s from '@kubernetes/client-node';
import { ClusterClient } from './types';

/*
 * What a cluster runs, across all its namespaces, one page at a time (with `listPages`): the
 * pods whose requests the cost estimate sums and the labelled objects the ownership view
 * lists.
 */

/** One page of a list across all namespaces: what the label selector selects, from `_continue`. */
export interface InventoryPage {
  labelSelector: string;
  limit: number;
  _continue?: string;
}

/** A page of an API list. */
export interface ListPage<T> {
  items: T[];
  metadata?: k8s.V1ListMeta;
}

export function listPodsPage(
  client: ClusterClient,
  page: InventoryPage,
): Promise<ListPage<k8s.V1Pod>> {
  return client.core.listPodForAllNamespaces(page);
}

export function listDeploymentsPage(
  client: ClusterClient,
  page: InventoryPage,
): Promise<ListPage<k8s.V1Deployment>> {
  return client.apps.listDeploymentForAllNamespaces(page);
}

export function listStatefulSetsPage(
  client: ClusterClient,
  page: InventoryPage,
): Promise<ListPage<k8s.V1StatefulSet>> {
  return client.apps.listStatefulSetForAllNamespaces(page);
}

export function listCronJobsPage(
  client: ClusterClient,
  page: InventoryPage,
): Promise<ListPage<k8s.V1CronJob>> {
  return client.batch.listCronJobForAllNamespaces(page);
}

export function listServicesPage(
  client: ClusterClient,
  page: InventoryPage,
): Promise<ListPage<k8s.V1Service>> {
  return client.core.listServiceForAllNamespaces(page);
}
