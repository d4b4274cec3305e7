import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { kubectl, readStackKubernetes } from './cluster';

// The golden path on the local stack: a service rendered by the real scaffolder from the
// node-service template, released as its release.yaml does, with the stack's helm.

/** The repository's root (this package is packages/shipshape-test-utils). */
export const REPO = path.resolve(
  resolvePackagePath('@internal/shipshape-test-utils'),
  '../..',
);
export const HELM = path.join(REPO, '.tools/bin/helm');

/** `helm` as the cluster admin (test setup, and the workflow's own deploy identity). */
export function helm(args: string[]): string {
  return execFileSync(
    HELM,
    ['--kubeconfig', readStackKubernetes().adminKubeconfig, ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

export function helmHistory(release: string, ns = release) {
  return JSON.parse(
    helm(['history', release, '-n', ns, '-o', 'json']),
  ) as Array<{
    revision: number;
    status: string;
    description: string;
    chart: string;
  }>;
}

/**
 * Renders the node-service template for service `name` into `out` (catalog-info.yaml, chart/),
 * with `more` template parameters (e.g. `{ strategy: 'canary' }`).
 */
export function renderGoldenPath(
  name: string,
  dir: string,
  more: Record<string, unknown> = {},
): string {
  const params = path.join(dir, 'params.json');
  fs.writeFileSync(
    params,
    JSON.stringify({
      ...JSON.parse(
        fs.readFileSync(
          path.join(REPO, 'templates/scripts/params/standard-none.json'),
          'utf8',
        ),
      ),
      name,
      latencyThresholdMs: 300,
      environments: ['staging', 'production'],
      publishTarget: 'github',
      ...more,
    }),
  );
  const out = path.join(dir, 'out');
  execFileSync(
    process.execPath,
    [
      path.join(REPO, 'templates/scripts/run-scaffolder.mjs'),
      path.join(REPO, 'templates/node-service'),
      params,
      out,
    ],
    { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return out;
}

/**
 * release.yaml's Deploy step for staging (`helm upgrade --install "$NAME" ./chart -n "$NAME"`;
 * `--wait` when asked, else without: kwok pods are Ready at once, and the rollout is awaited).
 */
export function workflowReleaseArgs(
  out: string,
  name: string,
  tag: string,
): string[] {
  return [
    'upgrade',
    '--install',
    name,
    path.join(out, 'chart'),
    '-n',
    name,
    '--create-namespace',
    '-f',
    path.join(out, 'chart/values-staging.yaml'),
    '--set',
    `image.tag=${tag}`,
    '--history-max',
    '20',
  ];
}

export function workflowRelease(out: string, name: string, tag: string) {
  helm(workflowReleaseArgs(out, name, tag));
  kubectl(['-n', name, 'rollout', 'status', `deploy/${name}`, '--timeout=60s']);
}

/** The platform lets the portal's deploy identity manage the service's namespace. */
export function grantOperator(ns: string) {
  kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'shipshape-operator-helm', namespace: ns },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'admin',
      },
      subjects: [
        {
          kind: 'ServiceAccount',
          name: 'shipshape-operator',
          namespace: 'shipshape-system',
        },
      ],
    }),
  );
}
