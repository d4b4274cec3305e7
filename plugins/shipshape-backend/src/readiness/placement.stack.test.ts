import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import * as k8s from '@kubernetes/client-node';
import request from 'supertest';
import { shipshapePlugin } from '../plugin';
import {
  readLocalStack,
  stackKubernetesConfig,
} from '@internal/shipshape-test-utils';

jest.setTimeout(120_000);

// DR readiness reads the entity's workloads where its deploys and Rollout card find them
// (resolvePlacement): in an environment with one namespace per service, the namespace the
// entity names (backstage.io/kubernetes-namespace), else the one named after its kubernetes-id.
const stack = readLocalStack();
const RUN = `pl${process.pid.toString(36)}${Date.now().toString(36)}`;
const USER = 'user:default/reader';
const admin = new k8s.KubeConfig();
admin.loadFromFile(stack.kubernetes.adminKubeconfig);
const core = admin.makeApiClient(k8s.CoreV1Api);
const apps = admin.makeApiClient(k8s.AppsV1Api);

/** Named in its kubernetes-namespace annotation (not its kubernetes-id). */
const ANNOTATED = `${RUN}-annotated`;
const ANNOTATED_NS = `${RUN}-billing-ns`;
/** No namespace annotation: its namespace is its kubernetes-id. */
const PER_SERVICE = `${RUN}-search`;

const entity = (name: string, annotations: Record<string, string> = {}) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    annotations: {
      'backstage.io/kubernetes-id': name,
      'shipshape.dev/tier': 'standard',
      ...annotations,
    },
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
});

const config = {
  kubernetes: stackKubernetesConfig(),
  shipshape: {
    environments: [
      { name: 'per-service', cluster: 'local', namespacePerService: true },
      { name: 'shared', cluster: 'local', namespace: 'production' },
    ],
  },
};

/** A Deployment of `replicas` labelled with the kubernetes-id `id`, in `namespace`. */
async function deployment(namespace: string, id: string, replicas: number) {
  const labels = { 'app.kubernetes.io/name': id };
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: id, labels: { 'backstage.io/kubernetes-id': id } },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels: { ...labels, 'backstage.io/kubernetes-id': id } },
          spec: {
            containers: [
              { name: 'app', image: `registry.example.test/${id}:1` },
            ],
          },
        },
      },
    },
  });
}

describe('GET /entities/.../dr-readiness where the entity is placed', () => {
  let server: any;

  beforeAll(async () => {
    await deployment(ANNOTATED_NS, ANNOTATED, 2);
    await deployment(PER_SERVICE, PER_SERVICE, 3);
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.rootConfig.factory({ data: config }),
        catalogServiceMock.factory({
          entities: [
            entity(ANNOTATED, {
              'backstage.io/kubernetes-namespace': ANNOTATED_NS,
            }),
            entity(PER_SERVICE),
          ],
        }),
      ],
    }));
  });

  afterAll(async () => {
    for (const name of [ANNOTATED_NS, PER_SERVICE]) {
      await core.deleteNamespace({ name }).catch(() => {});
    }
  });

  const checks = async (name: string, environment: string) => {
    const res = await request(server)
      .get(
        `/api/shipshape/entities/component/default/${name}/dr-readiness?environment=${environment}`,
      )
      .set('Authorization', mockCredentials.user.header(USER));
    expect(res.status).toBe(200);
    return Object.fromEntries(res.body.checks.map((c: any) => [c.id, c]));
  };

  it("reads the workloads in the namespace the entity's kubernetes-namespace names", async () => {
    const c = await checks(ANNOTATED, 'per-service');
    expect(c.replicas).toMatchObject({
      message: `Deployment ${ANNOTATED} runs 2 replicas in per-service`,
    });
  });

  it('reads the workloads in the namespace named after the kubernetes-id otherwise', async () => {
    const c = await checks(PER_SERVICE, 'per-service');
    expect(c.replicas).toEqual({
      id: 'replicas',
      status: 'pass',
      message: `Deployment ${PER_SERVICE} runs 3 replicas in per-service`,
    });
  });

  it("warns, naming the conflict, where the environment's one namespace is not the entity's", async () => {
    const c = await checks(ANNOTATED, 'shared');
    for (const id of ['backup-schedule', 'replicas', 'pdb', 'zone-spread']) {
      expect(c[id].status).toBe('warn');
      expect(c[id].message).toContain(
        `backstage.io/kubernetes-namespace is '${ANNOTATED_NS}', but environment shared runs every service in namespace 'production'`,
      );
    }
  });
});
