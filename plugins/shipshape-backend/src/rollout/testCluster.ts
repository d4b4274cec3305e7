import { execFileSync } from 'child_process';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import fs from 'fs';
import path from 'path';

export interface StackKubernetes {
  url: string;
  caFile: string;
  readerTokenFile: string;
  operatorTokenFile: string;
  adminKubeconfig: string;
  kubectl: string;
}

/** The local stack's Kubernetes section of .stack/stack.json; fails (never skips) if missing. */
export function readStackKubernetes(): StackKubernetes {
  const file = path.resolve(
    resolvePackagePath('@shipshape/plugin-shipshape-backend'),
    '../../.stack/stack.json',
  );
  if (!fs.existsSync(file)) {
    throw new Error(
      `${file} is missing: the rollout tests need the local stack's Kubernetes cluster; run ./run stack up`,
    );
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')).kubernetes;
}

/** kubectl as the cluster admin (test setup only; the code under test uses the portal tokens). */
export function kubectl(args: string[], input?: string): string {
  const k = readStackKubernetes();
  return execFileSync(k.kubectl, ['--kubeconfig', k.adminKubeconfig, ...args], {
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** A Deployment for tests: maxUnavailable 0 so a bad release keeps the old pods serving. */
export function testDeployment(options: {
  name: string;
  namespace: string;
  kubernetesId: string;
  image: string;
  replicas?: number;
  progressDeadlineSeconds?: number;
}): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: options.name,
      namespace: options.namespace,
      labels: { 'backstage.io/kubernetes-id': options.kubernetesId },
    },
    spec: {
      replicas: options.replicas ?? 2,
      progressDeadlineSeconds: options.progressDeadlineSeconds ?? 10,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { 'app.kubernetes.io/name': options.name } },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
      },
      template: {
        metadata: {
          labels: {
            'app.kubernetes.io/name': options.name,
            'backstage.io/kubernetes-id': options.kubernetesId,
          },
        },
        spec: {
          containers: [{ name: 'app', image: options.image }],
        },
      },
    },
  });
}

/** App-config data for the stack's cluster and one or more test environments. */
export function testConfig(
  environments: Array<{
    name: string;
    namespace: string;
    cluster?: string;
    protected?: boolean;
  }>,
  extraClusters: object[] = [],
) {
  const k = readStackKubernetes();
  return {
    kubernetes: {
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [
            {
              name: 'local',
              url: k.url,
              authProvider: 'serviceAccount',
              caFile: k.caFile,
              serviceAccountToken: fs
                .readFileSync(k.readerTokenFile, 'utf8')
                .trim(),
            },
            ...extraClusters,
          ],
        },
      ],
    },
    shipshape: {
      kubernetes: {
        clusters: [
          {
            name: 'local',
            operatorServiceAccountTokenFile: k.operatorTokenFile,
          },
        ],
      },
      environments: environments.map(e => ({ cluster: 'local', ...e })),
      rollout: {
        stallAfterSeconds: 60,
        timeoutSeconds: 120,
        statusTimeoutSeconds: 2,
      },
    },
  };
}

/**
 * A minimal `argoproj.io/v1alpha1` Rollout CRD (schema-less, with a status subresource), so
 * the status reader can be tested on Rollout objects without the Argo controller: the test
 * writes their status itself.
 */
export const ARGO_ROLLOUT_CRD = JSON.stringify({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'rollouts.argoproj.io' },
  spec: {
    group: 'argoproj.io',
    names: { kind: 'Rollout', listKind: 'RolloutList', plural: 'rollouts', singular: 'rollout', shortNames: ['ro'] },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
    ],
  },
});
