import { mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import request from 'supertest';
import { responseMismatches } from '../../schema/__testUtils__/conforms';

/** A catalog Component (a production service of group:default/team-a) with `annotations`. */
export function componentWith(
  name: string,
  annotations: Record<string, string> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: 'group:default/team-a',
    },
  };
}

/** A catalog Component for the rollout tests, found in the cluster by `kubernetesId` if given. */
export function testComponent(name: string, kubernetesId?: string): Entity {
  return componentWith(
    name,
    kubernetesId ? { 'backstage.io/kubernetes-id': kubernetesId } : {},
  );
}

/**
 * The test backend's shipshape API as `owner` (or another user): POST on a component's
 * route, GET any route, and follow an operation as the scaffolder actions do (long poll) until
 * it ends, checking each answer against openapi.yaml (`postAndWait` does both). `onLog` sees every log page.
 */
export function shipshapeApi(
  server: () => any,
  owner: string,
  onLog?: (page: { lines: { at: string }[] }) => void,
) {
  const post = (urlPath: string, body: object, user = owner) =>
    request(server())
      .post(`/api/shipshape/entities/component/default/${urlPath}`)
      .set('Authorization', mockCredentials.user.header(user))
      .send(body);

  const get = (urlPath: string, user = owner) =>
    request(server())
      .get(`/api/shipshape/${urlPath}`)
      .set('Authorization', mockCredentials.user.header(user));

  async function waitDone(id: string) {
    let after = 0;
    for (;;) {
      const res = await get(`operations/${id}/log?after=${after}&wait=10`);
      expect(res.status).toBe(200);
      expect(
        responseMismatches(res.body, '/operations/{id}/log', 'get', 200),
      ).toEqual([]);
      onLog?.(res.body);
      after = res.body.next;
      if (res.body.done) break;
    }
    const res = await get(`operations/${id}`);
    expect(['queued', 'running']).not.toContain(res.body.status);
    expect(
      responseMismatches(res.body, '/operations/{id}', 'get', 200),
    ).toEqual([]);
    return res.body;
  }

  /** POSTs as the owner, expects 202 Accepted and follows the operation to its end. */
  async function postAndWait(urlPath: string, body: object) {
    const res = await post(urlPath, body);
    expect(res.status).toBe(202);
    return waitDone(res.body.id);
  }

  return { post, get, waitDone, postAndWait };
}
