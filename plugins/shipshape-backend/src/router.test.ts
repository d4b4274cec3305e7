import {
  createBackendPlugin,
  coreServices,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  startTestBackend,
} from '@backstage/backend-test-utils';
import * as k8s from '@kubernetes/client-node';
import Router from 'express-promise-router';
import http from 'http';
import { AddressInfo } from 'net';
import request from 'supertest';
import { createRouter } from './router';

jest.setTimeout(60_000);

/**
 * A loopback stand-in for a Kubernetes API server that answers every request with `status` and
 * a Kubernetes Status body, as the API server refuses a request or misses an object.
 */
async function refusingApiServer(status: number, message: string) {
  const server = http.createServer((_req, res) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message,
        code: status,
      }),
    );
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return { server, apps: kubeConfig.makeApiClient(k8s.AppsV1Api) };
}

/**
 * The plugin's root router with one documented route (GET .../rollout) that reads Deployments
 * from the stand-in API server with the real client and lets its error through.
 */
async function backendAgainst(status: number, message: string) {
  const api = await refusingApiServer(status, message);
  const plugin = createBackendPlugin({
    pluginId: 'shipshape',
    register(env) {
      env.registerInit({
        deps: { httpRouter: coreServices.httpRouter },
        async init({ httpRouter }) {
          const feature = Router();
          feature.get(
            '/entities/:kind/:namespace/:name/rollout',
            async (req, res) => {
              res.json(
                await api.apps.listNamespacedDeployment({
                  namespace: 'staging',
                  labelSelector: `backstage.io/kubernetes-id=${req.params.name}`,
                }),
              );
            },
          );
          httpRouter.use(await createRouter([feature]));
        },
      });
    },
  });
  const backend = await startTestBackend({ features: [plugin] });
  return {
    get: (path: string) =>
      request(backend.server)
        .get(`/api/shipshape${path}`)
        .set('Authorization', mockCredentials.user.header()),
    close: async () => {
      await backend.stop();
      api.server.close();
    },
  };
}

describe('Kubernetes errors that reach the router', () => {
  it.each([
    [
      400,
      400,
      'InputError',
      'unable to parse requirement: values[0][backstage.io/kubernetes-id]: Invalid value: "not a label!"',
    ],
    [
      422,
      400,
      'InputError',
      'Deployment.apps "svc" is invalid: spec.template.spec.containers[0].image: Required value',
    ],
    [
      403,
      403,
      'NotAllowedError',
      'deployments.apps is forbidden: User "system:serviceaccount:shipshape:reader" cannot list resource "deployments"',
    ],
    [404, 404, 'NotFoundError', 'namespaces "staging" not found'],
    [
      409,
      409,
      'ConflictError',
      'Operation cannot be fulfilled on deployments.apps "svc": the object has been modified',
    ],
  ])(
    'Kubernetes %p answers %p (%s) with the API server message',
    async (kubeStatus, status, name, message) => {
      const backend = await backendAgainst(kubeStatus, message);
      try {
        const res = await backend.get(
          '/entities/component/default/svc/rollout',
        );
        expect(res.status).toBe(status);
        expect(res.body.error.name).toBe(name);
        expect(res.body.error.message).toBe(
          `Kubernetes answered ${kubeStatus}: ${message}`,
        );
      } finally {
        await backend.close();
      }
    },
  );

  it('leaves a server error of Kubernetes a server error', async () => {
    const backend = await backendAgainst(500, 'etcdserver: request timed out');
    try {
      const res = await backend.get('/entities/component/default/svc/rollout');
      expect(res.status).toBe(500);
    } finally {
      await backend.close();
    }
  });
});
