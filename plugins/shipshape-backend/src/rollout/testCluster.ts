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

/** Waits (kubectl wait, blocking) until the Argo Rollout `name` reports `phase`. */
export function waitRolloutPhase(
  namespace: string,
  name: string,
  phase: string,
  timeoutSeconds = 90,
) {
  kubectl([
    '-n',
    namespace,
    'wait',
    `rollouts.argoproj.io/${name}`,
    `--for=jsonpath={.status.phase}=${phase}`,
    `--timeout=${timeoutSeconds}s`,
  ]);
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
 * An Argo Rollouts canary for tests against the stack's real controller: 2 replicas,
 * 50% then a short timed pause (or an indefinite one), so a new image walks the steps alone.
 */
export function testRollout(options: {
  name: string;
  namespace: string;
  kubernetesId: string;
  image: string;
  replicas?: number;
  steps?: object[];
  /** Instead of the canary: e.g. `{ blueGreen: { activeService: 'x' } }`. */
  strategy?: object;
  progressDeadlineSeconds?: number;
}): string {
  return JSON.stringify({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: {
      name: options.name,
      namespace: options.namespace,
      labels: { 'backstage.io/kubernetes-id': options.kubernetesId },
    },
    spec: {
      replicas: options.replicas ?? 2,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: options.progressDeadlineSeconds ?? 10,
      selector: { matchLabels: { 'app.kubernetes.io/name': options.name } },
      strategy: options.strategy ?? {
        canary: {
          steps: options.steps ?? [
            { setWeight: 50 },
            { pause: { duration: '2s' } },
          ],
        },
      },
      template: {
        metadata: {
          labels: {
            'app.kubernetes.io/name': options.name,
            'backstage.io/kubernetes-id': options.kubernetesId,
          },
        },
        spec: { containers: [{ name: 'app', image: options.image }] },
      },
    },
  });
}
