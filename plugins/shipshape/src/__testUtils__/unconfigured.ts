import answers from '../__fixtures__/unconfiguredBackend.json';

/**
 * The entity the answers of `__fixtures__/unconfiguredBackend.json` were recorded for: the
 * backend plugin started with empty config and this entity in the catalog
 * (packages/backend/src/unconfiguredAnswers.test.ts checks they still hold).
 */
export const unconfiguredEntity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'orders-api',
    namespace: 'default',
    annotations: {
      'backstage.io/kubernetes-id': 'orders-api',
      'shipshape.dev/slo': 'availability=99.9%',
      'shipshape.dev/backup-target': 'orders-db',
    },
  },
  spec: { type: 'service', owner: 'group:default/orders-team' },
};

const recorded = answers as Record<string, { status: number; body: unknown }>;

/**
 * A fetch that answers each GET below /api/shipshape with the unconfigured backend's recorded
 * answer, and throws for a path without one; each path asked for is pushed to `requested`.
 */
export function unconfiguredBackend(requested: string[] = []) {
  return async (url: string) => {
    const path = new URL(url).pathname.replace(/^\/api\/shipshape/, '');
    requested.push(path);
    const answer = recorded[path];
    if (!answer) throw new Error(`no recorded answer for GET ${path}`);
    return new Response(JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'content-type': 'application/json' },
    });
  };
}
