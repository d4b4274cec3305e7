import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { LocalStack, readLocalStack } from './stack';

export type StackKubernetes = LocalStack['kubernetes'];

/** The local stack's Kubernetes section of .stack/stack.json; fails (never skips) if missing. */
export function readStackKubernetes(): StackKubernetes {
  return readLocalStack().kubernetes;
}

/**
 * The stock Kubernetes plugin's config (app-config `kubernetes`) for the stack's cluster as
 * `local`, read with the portal's reader token, plus `extraClusters`.
 */
export function stackKubernetesConfig(extraClusters: object[] = []) {
  const k = readStackKubernetes();
  return {
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
  };
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

/**
 * Lets the portal's deploy identity act in a service's namespace as the platform does: applies
 * deploy/rbac/operator-helm.yaml (Helm's release records and the chart's kinds) there.
 */
export function grantServiceNamespace(namespace: string): void {
  const file = path.resolve(
    resolvePackagePath('@internal/shipshape-test-utils'),
    '../../deploy/rbac/operator-helm.yaml',
  );
  kubectl(
    ['apply', '-f', '-'],
    fs.readFileSync(file, 'utf8').replace(/NAMESPACE/g, namespace),
  );
}

/** A service's namespace: created, with the deploy identity's Role bound in it. */
export function createServiceNamespace(namespace: string): void {
  kubectl(['create', 'namespace', namespace]);
  grantServiceNamespace(namespace);
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

/** What a test workload (Deployment or Argo Rollout) is made of. */
interface TestWorkload {
  name: string;
  namespace: string;
  kubernetesId: string;
  image: string;
  replicas?: number;
  progressDeadlineSeconds?: number;
  /**
   * The ownership evidence the chart and Helm stamp (docs/operations.md): the owning entity
   * (default `component:default/<kubernetesId>`) and the Helm release (default the
   * kubernetes-id, in the workload's namespace); `release: null` leaves Helm's out.
   */
  entity?: string;
  release?: string | null;
}

/** The annotations and label `helm upgrade --install <release>` of the chart leaves on a workload. */
export function ownershipEvidence(options: TestWorkload) {
  const release =
    options.release === undefined ? options.kubernetesId : options.release;
  return {
    annotations: {
      'shipshape.dev/entity':
        options.entity ?? `component:default/${options.kubernetesId}`,
      ...(release
        ? {
            'meta.helm.sh/release-name': release,
            'meta.helm.sh/release-namespace': options.namespace,
          }
        : {}),
    },
    labels: release ? { 'app.kubernetes.io/managed-by': 'Helm' } : {},
  };
}

/** A workload labelled with `kubernetesId`, one container `app`, 2 replicas unless told. */
function testWorkload(
  apiVersion: string,
  kind: string,
  options: TestWorkload,
  strategy: object,
): string {
  return JSON.stringify({
    apiVersion,
    kind,
    metadata: {
      name: options.name,
      namespace: options.namespace,
      labels: {
        'backstage.io/kubernetes-id': options.kubernetesId,
        ...ownershipEvidence(options).labels,
      },
      annotations: ownershipEvidence(options).annotations,
    },
    spec: {
      replicas: options.replicas ?? 2,
      progressDeadlineSeconds: options.progressDeadlineSeconds ?? 10,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { 'app.kubernetes.io/name': options.name } },
      strategy,
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

/** A Deployment for tests: maxUnavailable 0 so a bad release keeps the old pods serving. */
export function testDeployment(options: TestWorkload): string {
  return testWorkload('apps/v1', 'Deployment', options, {
    type: 'RollingUpdate',
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
  });
}

/** App-config data for the stack's cluster and one or more test environments. */
export function testConfig(
  environments: Array<{
    name: string;
    namespace?: string;
    namespacePerService?: boolean;
    cluster?: string;
    protected?: boolean;
    allow?: string[];
  }>,
  extraClusters: object[] = [],
) {
  const k = readStackKubernetes();
  return {
    kubernetes: stackKubernetesConfig(extraClusters),
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
 * testConfig with the one environment `staging` in `namespace` on the cluster `proxied`: the
 * stack's API server reached at `url` (a test's proxy in front of it) with the reader's token;
 * `tls` says how the client trusts it (`{ caFile }`, or `{ skipTLSVerify: true }` for plain HTTP).
 */
export function proxiedStagingConfig(
  namespace: string,
  url: string,
  tls: { caFile: string } | { skipTLSVerify: true },
) {
  return testConfig(
    [{ name: 'staging', namespace, cluster: 'proxied' }],
    [
      {
        name: 'proxied',
        url,
        authProvider: 'serviceAccount',
        ...tls,
        serviceAccountToken: fs
          .readFileSync(readStackKubernetes().readerTokenFile, 'utf8')
          .trim(),
      },
    ],
  );
}

/**
 * An Argo Rollouts canary for tests against the stack's real controller: 2 replicas,
 * 50% then a short timed pause (or an indefinite one), so a new image walks the steps alone.
 */
export function testRollout(
  options: TestWorkload & {
    steps?: object[];
    /** Instead of the canary: e.g. `{ blueGreen: { activeService: 'x' } }`. */
    strategy?: object;
  },
): string {
  return testWorkload(
    'argoproj.io/v1alpha1',
    'Rollout',
    options,
    options.strategy ?? {
      canary: {
        steps: options.steps ?? [
          { setWeight: 50 },
          { pause: { duration: '2s' } },
        ],
      },
    },
  );
}
