import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { SHIPSHAPE_ANNOTATIONS } from '@shipshape/plugin-shipshape-common';
import * as k8s from '@kubernetes/client-node';
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import YAML, { parseAllDocuments } from 'yaml';
import {
  HELM,
  REPO,
  helmHistory,
  kubectl,
  ownershipEvidence,
  readLocalStack,
  renderGoldenPath,
  stackPaymentsConnection,
  testConfig,
  testDeployment,
  testRollout,
  waitRolloutPhase,
  workflowRelease,
} from '@internal/shipshape-test-utils';
import { shipshapePlugin } from '../plugin';
import { componentWith, shipshapeApi } from '../rollout/__testUtils__/api';
import { KubernetesClusters } from './clusters';
import {
  DEFAULT_WATCH_TIMINGS,
  ListWatch,
  workloadWatchTargets,
} from './watch';

jest.setTimeout(300_000);

// deploy/rbac/*.yaml under identities that have nothing else: two fresh service accounts in a
// namespace of their own, bound by the shipped manifests applied as docs/install.md says
// (operator-helm.yaml with NAMESPACE replaced, in each service namespace), their tokens from the
// TokenRequest API (`kubectl create token`). The backend runs the portal's operations with them
// (Helm deploy, rollback and history; the guarded image patch of a workload Helm does not
// manage; an in-cluster backup Job; rollout status and the workload watches) and the API server
// refuses (403) what the manifests do not grant.
const stack = readLocalStack();
const RUN = `${process.pid.toString(36)}${Date.now().toString(36)}`;
/** Where the two service accounts live (shipshape-system in an adopter's cluster). */
const SA_NS = `shipshape-rbac-${RUN}`;
/** A golden-path service released by its workflow with helm, deployed from the portal. */
const NAME = `rbac-helm-${RUN}`;
/** A workload with the entity's label and annotation that no Helm release manages, and its backup CronJob. */
const PLAIN = `rbac-plain-${RUN}`;
/** An Argo Rollouts canary that waits at an indefinite pause (no Helm evidence). */
const CANARY = `rbac-argo-${RUN}`;
/** A service namespace where the platform did not bind operator-helm.yaml (its workload says Helm manages it). */
const BARE = `rbac-bare-${RUN}`;
const USER = 'user:default/someone';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbac-manifests-'));

type Identity = 'shipshape-operator' | 'shipshape-reader';

/**
 * Applies a shipped manifest as docs/install.md does (`sed 's/NAMESPACE/<ns>/'` when
 * `namespace` is given) with one change: its subject, `<identity>` in shipshape-system, is the
 * test's account of that name in SA_NS, and its cluster-wide objects carry the run's suffix (so
 * the stack's own bindings are not touched). Rules and verbs are the file's, unchanged.
 */
function applyManifest(file: string, identity: Identity, namespace?: string) {
  let text = fs.readFileSync(path.join(REPO, 'deploy/rbac', file), 'utf8');
  if (namespace) text = text.replace(/NAMESPACE/g, namespace);
  const items = parseAllDocuments(text)
    .map(d => d.toJS())
    .filter(o => o && !['ServiceAccount', 'Secret'].includes(o.kind))
    .map(o => {
      if (o.kind === 'ClusterRole') {
        return { ...o, metadata: { name: `${o.metadata.name}-${RUN}` } };
      }
      if (o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') {
        expect(o.subjects).toEqual([
          {
            kind: 'ServiceAccount',
            name: identity,
            namespace: 'shipshape-system',
          },
        ]);
        const cluster = o.kind === 'ClusterRoleBinding';
        return {
          ...o,
          metadata: cluster
            ? { name: `${o.metadata.name}-${RUN}` }
            : o.metadata,
          roleRef: cluster
            ? { ...o.roleRef, name: `${o.roleRef.name}-${RUN}` }
            : o.roleRef,
          subjects: [
            { kind: 'ServiceAccount', name: identity, namespace: SA_NS },
          ],
        };
      }
      return o;
    });
  kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
  );
}

/** A short-lived token of the test's account (TokenRequest API). */
function token(identity: Identity): string {
  return kubectl([
    '-n',
    SA_NS,
    'create',
    'token',
    identity,
    '--duration=1h',
  ]).trim();
}

/** The stack's API server as `token` alone (no kubeconfig of the stack's). */
function clientOf(bearer: string) {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'local',
        server: stack.kubernetes.url,
        caFile: stack.kubernetes.caFile,
      },
    ],
    users: [{ name: 'sa', token: bearer }],
    contexts: [{ name: 'sa', cluster: 'local', user: 'sa' }],
    currentContext: 'sa',
  });
  return {
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
  };
}

/** The HTTP status the API server answers a call with (200 when it succeeds). */
async function statusOf(call: () => Promise<unknown>): Promise<number> {
  try {
    await call();
    return 200;
  } catch (e) {
    if (e instanceof k8s.ApiException) return e.code;
    throw e;
  }
}

function image(ns: string): string {
  return JSON.parse(kubectl(['-n', ns, 'get', 'deploy', ns, '-o', 'json'])).spec
    .template.spec.containers[0].image;
}

function backupCronJob(id: string) {
  return JSON.stringify({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name: `${id}-backup`,
      namespace: id,
      labels: {
        'backstage.io/kubernetes-id': id,
        'app.kubernetes.io/component': 'backup',
      },
      annotations: ownershipEvidence({
        name: `${id}-backup`,
        namespace: id,
        kubernetesId: id,
        image: 'registry.example.test/pg-backup:16',
        release: null,
      }).annotations,
    },
    spec: {
      schedule: '0 3 * * *',
      suspend: true,
      jobTemplate: {
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [
                { name: 'dump', image: 'registry.example.test/pg-backup:16' },
              ],
            },
          },
        },
      },
    },
  });
}

describe('deploy/rbac manifests as the only grants of the read and operator identities', () => {
  let server: any;
  let config: any;
  let operatorToken: string;
  let readerToken: string;
  const stops: Array<() => Promise<void>> = [];
  const api = shipshapeApi(() => server, USER);

  beforeAll(async () => {
    const out = renderGoldenPath(NAME, dir);
    const entity = YAML.parse(
      fs.readFileSync(path.join(out, 'catalog-info.yaml'), 'utf8'),
    );
    // The service's workflow (its own deploy identity, here the admin) releases it twice.
    workflowRelease(out, NAME, 'rev1');
    workflowRelease(out, NAME, 'rev2');
    for (const ns of [SA_NS, PLAIN, BARE, CANARY]) {
      kubectl(['create', 'namespace', ns]);
    }
    for (const id of ['shipshape-operator', 'shipshape-reader']) {
      kubectl(['-n', SA_NS, 'create', 'serviceaccount', id]);
    }
    applyManifest('operator.yaml', 'shipshape-operator');
    applyManifest('reader.yaml', 'shipshape-reader');
    for (const ns of [NAME, PLAIN, CANARY]) {
      applyManifest('operator-helm.yaml', 'shipshape-operator', ns);
    }
    kubectl(
      ['apply', '-f', '-'],
      testRollout({
        name: CANARY,
        namespace: CANARY,
        kubernetesId: CANARY,
        image: 'registry.example.test/canary:1.0.0',
        release: null,
        steps: [{ setWeight: 50 }, { pause: {} }],
      }),
    );
    // PLAIN carries no Helm evidence; BARE's says Helm release BARE manages it.
    for (const [ns, release] of [
      [PLAIN, null],
      [BARE, undefined],
    ] as const) {
      kubectl(
        ['apply', '-f', '-'],
        testDeployment({
          name: ns,
          namespace: ns,
          kubernetesId: ns,
          image: 'registry.example.test/plain:1.0.0',
          release,
        }),
      );
    }
    kubectl(['apply', '-f', '-'], backupCronJob(PLAIN));
    operatorToken = token('shipshape-operator');
    readerToken = token('shipshape-reader');
    const tokenFile = path.join(dir, 'operator-token');
    fs.writeFileSync(tokenFile, operatorToken, { mode: 0o600 });

    config = testConfig([{ name: 'staging', namespacePerService: true }]);
    config.kubernetes.clusterLocatorMethods[0].clusters[0].serviceAccountToken =
      readerToken;
    config.shipshape.kubernetes.clusters[0].operatorServiceAccountTokenFile =
      tokenFile;
    config.shipshape.rollout.helmBinary = HELM;
    config.shipshape.rollout.statusTimeoutSeconds = 10;
    config.shipshape.backup = {
      storage: { type: 'local', directory: '/nonexistent-not-used' },
      inClusterTimeoutMinutes: 1,
      targets: [
        {
          name: `${PLAIN}-db`,
          connection: stackPaymentsConnection('SHIPSHAPE_TEST_RBAC_PG'),
          allowedEntities: [`component:default/${PLAIN}`],
        },
      ],
    };
    process.env.SHIPSHAPE_TEST_RBAC_PG = stack.postgres.password;
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.rootConfig.factory({ data: config }),
        mockServices.rootLogger.factory({ level: 'warn' }),
        mockServices.permissions.factory(),
        catalogServiceMock.factory({
          entities: [
            entity,
            componentWith(PLAIN, {
              'backstage.io/kubernetes-id': PLAIN,
              [SHIPSHAPE_ANNOTATIONS.backupTarget.name]: `${PLAIN}-db`,
            }),
            componentWith(BARE, { 'backstage.io/kubernetes-id': BARE }),
            componentWith(CANARY, { 'backstage.io/kubernetes-id': CANARY }),
          ],
        }),
      ],
    }));
  }, 280_000);

  afterAll(async () => {
    for (const stop of stops) await stop();
    for (const ns of [SA_NS, NAME, PLAIN, BARE, CANARY]) {
      kubectl([
        'delete',
        'namespace',
        ns,
        '--ignore-not-found',
        '--wait=false',
      ]);
    }
    for (const kind of ['clusterrolebinding', 'clusterrole']) {
      for (const name of ['shipshape-operator', 'shipshape-reader']) {
        kubectl(['delete', kind, `${name}-${RUN}`, '--ignore-not-found']);
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('operator: a Helm deploy, a rollback to a named revision and the deploy history', async () => {
    const op = await api.postAndWait(`${NAME}/deploy`, {
      environment: 'staging',
      tag: 'rev3',
      reason: 'restricted identity',
    });
    expect(op.status).toBe('succeeded');
    expect(op.outcomeReason).toContain(
      `Helm release ${NAME}/${NAME} revision 2 -> 3`,
    );
    expect(image(NAME)).toMatch(/:rev3$/);

    const back = await api.postAndWait(`${NAME}/rollback`, {
      environment: 'staging',
      revision: 2,
    });
    expect(back.status).toBe('succeeded');
    expect(helmHistory(NAME).at(-1)).toMatchObject({
      revision: 4,
      status: 'deployed',
      description: 'Rollback to 2',
    });
    expect(image(NAME)).toMatch(/:rev2$/);

    const history = await api.get(
      `entities/component/default/${NAME}/deploy-history`,
    );
    expect(history.status).toBe(200);
    expect(history.body.environments[0]).toMatchObject({ status: 'ok' });
    expect(
      history.body.environments[0].releases.map((r: any) => r.revision),
    ).toEqual([4, 3, 2, 1]);
  });

  it('operator: the guarded image patch of a workload Helm does not manage, and its rollback', async () => {
    const op = await api.postAndWait(`${PLAIN}/deploy`, {
      environment: 'staging',
      tag: '1.0.1',
    });
    expect(op.status).toBe('succeeded');
    expect(op.outcomeReason).toBe(
      `Rolled out ${PLAIN} 1.0.0 -> 1.0.1 (revision 1 -> 2)`,
    );
    expect(image(PLAIN)).toBe('registry.example.test/plain:1.0.1');
    const back = await api.postAndWait(`${PLAIN}/rollback`, {
      environment: 'staging',
    });
    expect(back.status).toBe('succeeded');
    expect(image(PLAIN)).toBe('registry.example.test/plain:1.0.0');
  });

  it('operator: an in-cluster backup creates its Job from the CronJob and follows it to success', async () => {
    const res = await request(server)
      .post(`/api/shipshape/entities/component/default/${PLAIN}/backups`)
      .set('Authorization', mockCredentials.user.header(USER))
      .send({ method: 'in-cluster', environment: 'staging' });
    expect(res.status).toBe(202);
    let rec: any;
    for (;;) {
      rec = (
        await api.get(
          `entities/component/default/${PLAIN}/backups/${res.body.id}`,
        )
      ).body;
      if (rec.status !== 'running') break;
      await new Promise(r => setTimeout(r, 250));
    }
    expect(rec).toMatchObject({ status: 'succeeded', method: 'in-cluster' });
    expect(rec.location).toMatch(
      new RegExp(`^local/${PLAIN}/job/${PLAIN}-backup-manual-[0-9a-f]{6}$`),
    );
  });

  it('operator: an Argo Rollouts canary deployed from the portal waits at its pause; Promote (rollouts/status) finishes it', async () => {
    waitRolloutPhase(CANARY, CANARY, 'Healthy', 90);
    const res = await api.post(`${CANARY}/deploy`, {
      environment: 'staging',
      tag: '2.0.0',
    });
    expect(res.status).toBe(202);
    // the operation follows the canary to its indefinite pause (the operator's watch)
    const deadline = Date.now() + 90_000;
    let paused = false;
    while (!paused && Date.now() < deadline) {
      const op = await api.get(`operations/${res.body.id}`);
      paused = op.body.log.some((l: any) => /Paused/.test(l.message));
      if (!paused) await new Promise(r => setTimeout(r, 250));
    }
    expect(paused).toBe(true);
    const promoted = await api.post(`${CANARY}/promote`, {
      environment: 'staging',
    });
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({
      action: 'promote',
      rollouts: [CANARY],
    });
    const op = await api.waitDone(res.body.id);
    expect(op.status).toBe('succeeded');
    waitRolloutPhase(CANARY, CANARY, 'Healthy', 90);
  });

  it('operator: a namespace without operator-helm.yaml refuses the deploy of a Helm-managed workload, naming the grant; nothing changes', async () => {
    const res = await api.post(`${BARE}/deploy`, {
      environment: 'staging',
      tag: '1.0.1',
    });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain(
      `may not list Secrets in namespace ${BARE}`,
    );
    expect(image(BARE)).toBe('registry.example.test/plain:1.0.0');
  });

  it('operator: the API server refuses (403) what the manifests do not grant', async () => {
    const { core, apps } = clientOf(operatorToken);
    // granted: Helm's records in a service namespace where operator-helm.yaml is bound
    expect(
      await statusOf(() => core.listNamespacedSecret({ namespace: NAME })),
    ).toBe(200);
    const refused = {
      'list secrets in kube-system': () =>
        core.listNamespacedSecret({
          namespace: 'kube-system',
        }),
      'list secrets in the accounts’ namespace': () =>
        core.listNamespacedSecret({
          namespace: SA_NS,
        }),
      'list secrets in a namespace without operator-helm.yaml': () =>
        core.listNamespacedSecret({ namespace: BARE }),
      'list secrets cluster-wide': () => core.listSecretForAllNamespaces(),
      'delete a secret in kube-system': () =>
        core.deleteNamespacedSecret({
          namespace: 'kube-system',
          name: 'shipshape-no-such-secret',
        }),
      'delete a namespace': () => core.deleteNamespace({ name: BARE }),
      'create a deployment where operator-helm.yaml is not bound': () =>
        apps.createNamespacedDeployment({
          namespace: BARE,
          body: JSON.parse(
            testDeployment({
              name: 'intruder',
              namespace: BARE,
              kubernetesId: 'intruder',
              image: 'registry.example.test/x:1',
            }),
          ),
        }),
      'delete a deployment where operator-helm.yaml is not bound': () =>
        apps.deleteNamespacedDeployment({ namespace: BARE, name: BARE }),
    };
    const answers: Record<string, number> = {};
    for (const [what, call] of Object.entries(refused)) {
      answers[what] = await statusOf(call);
    }
    expect(answers).toEqual(
      Object.fromEntries(Object.keys(refused).map(k => [k, 403])),
    );
    expect(kubectl(['get', 'namespace', BARE, '-o', 'name']).trim()).toBe(
      `namespace/${BARE}`,
    );
    expect(image(BARE)).toBe('registry.example.test/plain:1.0.0');
  });

  it('reader: rollout status, and the workload watches list and follow a change', async () => {
    for (const name of [NAME, PLAIN]) {
      const res = await api.get(`entities/component/default/${name}/rollout`);
      expect(res.status).toBe(200);
      expect(res.body.environments[0]).toMatchObject({
        environment: 'staging',
        status: 'ok',
      });
      expect(res.body.environments[0].workloads.length).toBeGreaterThan(0);
    }

    const clusters = KubernetesClusters.fromConfig(new ConfigReader(config));
    const { targets, skipped } = workloadWatchTargets(clusters);
    expect(skipped).toEqual([]);
    const seen = new Map<string, Set<string>>();
    const logger = mockServices.logger.mock();
    const watches = targets.map(target => {
      const names = new Set<string>();
      seen.set(target.what, names);
      const w = new ListWatch(
        target,
        o => names.add(`${o.metadata?.namespace}/${o.metadata?.name}`),
        logger,
        { ...DEFAULT_WATCH_TIMINGS, requestTimeoutMs: 10_000 },
      );
      w.start();
      stops.push(() => w.stop());
      return w;
    });
    const deadline = Date.now() + 30_000;
    while (!watches.every(w => w.synced) && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 100));
    }
    expect(
      Object.fromEntries(watches.map(w => [w.target.what, w.synced])),
    ).toEqual(Object.fromEntries(targets.map(t => [t.what, true])));
    // a change made after the list reaches the Deployments' watch
    const deployments = seen.get('Deployments in all namespaces')!;
    deployments.delete(`${PLAIN}/${PLAIN}`);
    kubectl([
      '-n',
      PLAIN,
      'set',
      'image',
      `deploy/${PLAIN}`,
      'app=registry.example.test/plain:1.0.2',
    ]);
    while (
      !deployments.has(`${PLAIN}/${PLAIN}`) &&
      Date.now() < deadline + 15_000
    ) {
      await new Promise(r => setTimeout(r, 100));
    }
    expect(deployments.has(`${PLAIN}/${PLAIN}`)).toBe(true);
    expect(logger.warn).not.toHaveBeenCalled();
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('reader: the API server refuses (403) writes and Secrets', async () => {
    const { core, apps } = clientOf(readerToken);
    const refused = {
      'patch a deployment': () =>
        apps.patchNamespacedDeployment(
          {
            namespace: PLAIN,
            name: PLAIN,
            body: { metadata: { labels: { touched: 'yes' } } },
          },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        ),
      'list secrets in a service namespace': () =>
        core.listNamespacedSecret({
          namespace: NAME,
        }),
      'get a secret in kube-system': () =>
        core.readNamespacedSecret({
          namespace: 'kube-system',
          name: 'shipshape-no-such-secret',
        }),
      'get a namespace': () => core.readNamespace({ name: NAME }),
    };
    const answers: Record<string, number> = {};
    for (const [what, call] of Object.entries(refused)) {
      answers[what] = await statusOf(call);
    }
    expect(answers).toEqual(
      Object.fromEntries(Object.keys(refused).map(k => [k, 403])),
    );
  });
});
