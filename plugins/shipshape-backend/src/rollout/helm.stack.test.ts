import {
  TestDatabases,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import fs from 'fs';
import os from 'os';
import path from 'path';
import YAML from 'yaml';
import {
  kubectl,
  testConfig,
  testDeployment,
  HELM,
  REPO,
  grantOperator,
  helm,
  helmHistory,
  renderGoldenPath,
  workflowRelease as release,
} from '@internal/shipshape-test-utils';
import { connectDatabase } from '../database';
import { KubernetesClusters } from '../kubernetes/clusters';
import { workloadRefOf } from '../kubernetes/placement';
import { OperationEngine } from '../operations/engine';
import { OperationStore } from '../operations/store';
import { shipshapePlugin } from '../plugin';
import { DeployHandler } from './handlers';
import { planDeploy } from './plan';
import { responseMismatches } from '../schema/__testUtils__/conforms';
import { shipshapeApi, testComponent } from './__testUtils__/api';

jest.setTimeout(300_000);

// A golden-path service released by its workflow (helm upgrade --install) and deployed and
// rolled back from the portal: one Helm history. The node-service template rendered by the real
// scaffolder, installed with the stack's helm as release.yaml installs it.
const NAME = `helm-path-${process.pid}`;
/** A release of the same name made from another chart (namespace of its own). */
const OTHER = `helm-other-${process.pid}`;
/** A workload with the entity's labels and annotation that no Helm release manages. */
const UNHELMED = `helm-none-${process.pid}`;
/** The entity's Deployment in its release, and a second one of its that Helm does not manage. */
const MIXED = `helm-mixed-${process.pid}`;
const USER = 'user:default/someone';
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-path-'));
let out: string;
const history = helmHistory;
const workflowRelease = (tag: string) => release(out, NAME, tag);

function image(ns: string, name = ns): string {
  return JSON.parse(kubectl(['-n', ns, 'get', 'deploy', name, '-o', 'json']))
    .spec.template.spec.containers[0].image;
}

/** A chart that is not the service's: another name, its own values, the same labels. */
function writeOtherChart(): string {
  const chart = path.join(dir, 'other-chart');
  fs.mkdirSync(path.join(chart, 'templates'), { recursive: true });
  fs.writeFileSync(
    path.join(chart, 'Chart.yaml'),
    'apiVersion: v2\nname: other-chart\nversion: 1.2.3\n',
  );
  fs.writeFileSync(path.join(chart, 'values.yaml'), 'img: nginx:1.27\n');
  fs.writeFileSync(
    path.join(chart, 'templates/deployment.yaml'),
    `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels: { backstage.io/kubernetes-id: {{ .Release.Name }} }
  annotations: { shipshape.dev/entity: component:default/{{ .Release.Name }} }
spec:
  replicas: 1
  selector: { matchLabels: { app: {{ .Release.Name }} } }
  template:
    metadata: { labels: { app: {{ .Release.Name }}, backstage.io/kubernetes-id: {{ .Release.Name }} } }
    spec: { containers: [{ name: app, image: {{ .Values.img }} }] }
`,
  );
  return chart;
}

describe('a Helm-installed service deployed and rolled back from the portal', () => {
  let server: any;
  let entity: Entity;
  let config: any;
  const api = shipshapeApi(() => server, USER);

  beforeAll(async () => {
    out = renderGoldenPath(NAME, dir);
    entity = YAML.parse(
      fs.readFileSync(path.join(out, 'catalog-info.yaml'), 'utf8'),
    );
    for (const ns of [NAME, OTHER, UNHELMED, MIXED]) {
      kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait']);
    }
    workflowRelease('rev1');
    workflowRelease('rev2');
    grantOperator(NAME);
    kubectl(['create', 'namespace', OTHER]);
    grantOperator(OTHER);
    helm(['install', OTHER, writeOtherChart(), '-n', OTHER]);
    kubectl(['create', 'namespace', UNHELMED]);
    grantOperator(UNHELMED);
    kubectl(
      ['apply', '-f', '-'],
      testDeployment({
        name: UNHELMED,
        namespace: UNHELMED,
        kubernetesId: UNHELMED,
        image: 'registry.example.test/none:1.0.0',
        release: null,
      }),
    );
    kubectl(['create', 'namespace', MIXED]);
    grantOperator(MIXED);
    for (const [name, helmRelease] of [
      [MIXED, MIXED],
      [`${MIXED}-worker`, null],
    ]) {
      kubectl(
        ['apply', '-f', '-'],
        testDeployment({
          name: name!,
          namespace: MIXED,
          kubernetesId: MIXED,
          image: 'registry.example.test/mixed:1.0.0',
          release: helmRelease,
        }),
      );
    }

    config = testConfig([
      { name: 'staging', namespacePerService: true },
    ]) as any;
    config.shipshape.rollout.helmBinary = HELM;
    config.shipshape.rollout.stallAfterSeconds = 4;
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.rootConfig.factory({ data: config }),
        mockServices.permissions.factory(),
        catalogServiceMock.factory({
          entities: [
            entity,
            testComponent(OTHER, OTHER),
            testComponent(UNHELMED, UNHELMED),
            testComponent(MIXED, MIXED),
          ],
        }),
      ],
    }));
  }, 280_000);

  afterAll(() => {
    for (const ns of [NAME, OTHER, UNHELMED, MIXED]) {
      kubectl([
        'delete',
        'namespace',
        ns,
        '--ignore-not-found',
        '--wait=false',
      ]);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a portal deploy is a Helm revision with the same chart and values, and the next workflow release starts from it', async () => {
    const valuesBefore = JSON.parse(
      helm(['get', 'values', NAME, '-n', NAME, '-o', 'json']),
    );
    const dry = await api.post(`${NAME}/deploy`, {
      environment: 'staging',
      tag: 'rev3',
      dryRun: true,
    });
    expect(dry.status).toBe(200);
    expect(dry.body.helm).toEqual({
      fromRevision: 2,
      chart: `${NAME}-0.1.0`,
    });
    expect(history(NAME)).toHaveLength(2);

    const op = await api.postAndWait(`${NAME}/deploy`, {
      environment: 'staging',
      tag: 'rev3',
      reason: 'hotfix for the checkout timeout',
    });
    expect(op.status).toBe('succeeded');
    expect(op.outcomeReason).toContain(
      `Helm release ${NAME}/${NAME} revision 2 -> 3`,
    );
    const h = history(NAME);
    expect(h.at(-1)).toMatchObject({
      revision: 3,
      status: 'deployed',
      chart: `${NAME}-0.1.0`,
      description: `shipshape deploy by ${USER}: hotfix for the checkout timeout [operation ${op.id}]`,
    });
    expect(image(NAME)).toMatch(/:rev3$/);
    // Same values, new image: only image.tag (and the emptied digest) differ.
    const valuesAfter = JSON.parse(
      helm(['get', 'values', NAME, '-n', NAME, '-o', 'json']),
    );
    expect(valuesAfter).toEqual({
      ...valuesBefore,
      image: {
        ...valuesBefore.image,
        repository: image(NAME).replace(/:rev3$/, ''),
        tag: 'rev3',
        digest: '',
      },
    });

    workflowRelease('rev4');
    expect(history(NAME).map(r => r.revision)).toEqual([1, 2, 3, 4]);
    expect(image(NAME)).toMatch(/:rev4$/);
  });

  it('a portal rollback is a Helm rollback to a named revision; a revision that does not exist is refused', async () => {
    const missing = await api.post(`${NAME}/rollback`, {
      environment: 'staging',
      revision: 99,
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe(
      `revision: Helm release ${NAME}/${NAME} (environment staging) has no revision 99 (available: 1, 2, 3, 4; see its deploy history); nothing was changed`,
    );
    expect(history(NAME)).toHaveLength(4);

    const op = await api.postAndWait(`${NAME}/rollback`, {
      environment: 'staging',
      revision: 3,
      reason: 'rev4 is slow',
    });
    expect(op.status).toBe('succeeded');
    expect(history(NAME).at(-1)).toMatchObject({
      revision: 5,
      status: 'deployed',
      description: 'Rollback to 3',
    });
    expect(image(NAME)).toMatch(/:rev3$/);
  });

  it('a deploy that stalls is rolled back to the previous Helm revision', async () => {
    const op = await api.postAndWait(`${NAME}/deploy`, {
      environment: 'staging',
      tag: 'rev6-bad',
    });
    expect(op.status).toBe('rolled-back');
    expect(op.outcomeReason).toContain(
      'rolled back to Helm revision 5 (as revision 7)',
    );
    expect(history(NAME).slice(-2)).toMatchObject([
      { revision: 6, description: expect.stringContaining('[operation') },
      { revision: 7, status: 'deployed', description: 'Rollback to 5' },
    ]);
    expect(image(NAME)).toMatch(/:rev3$/);
  });

  it('the deploy history lists every release per environment, with the portal operation of those it started, and no values or manifests', async () => {
    const res = await api.get(
      `entities/component/default/${NAME}/deploy-history`,
    );
    expect(res.status).toBe(200);
    expect(
      responseMismatches(
        res.body,
        '/entities/{kind}/{namespace}/{name}/deploy-history',
        'get',
        200,
      ),
    ).toEqual([]);
    if (process.env.SHIPSHAPE_WRITE_FIXTURES) {
      // the Rollout card's deploy-history fixture, from this real answer
      fs.writeFileSync(
        path.join(
          REPO,
          'plugins/shipshape/src/components/rollout/__fixtures__/deployHistory.json',
        ),
        `${JSON.stringify(res.body, null, 2)}\n`,
      );
    }
    const [staging] = res.body.environments;
    expect(staging).toMatchObject({
      environment: 'staging',
      namespace: NAME,
      release: NAME,
      status: 'ok',
    });
    expect(staging.releases.map((r: any) => r.revision)).toEqual([
      7, 6, 5, 4, 3, 2, 1,
    ]);
    const byRevision = (n: number) =>
      staging.releases.find((r: any) => r.revision === n);
    expect(byRevision(3)).toMatchObject({
      status: 'superseded',
      chart: `${NAME}-0.1.0`,
      images: [{ workload: NAME, image: expect.stringMatching(/:rev3$/) }],
      operation: { kind: 'deploy', status: 'succeeded', requestedBy: USER },
    });
    expect(byRevision(4).operation).toBeUndefined(); // the workflow's
    expect(byRevision(5).operation).toMatchObject({ kind: 'rollback' });
    expect(byRevision(7).operation).toMatchObject({
      kind: 'deploy',
      status: 'rolled-back',
    });
    expect(JSON.stringify(res.body)).not.toMatch(/manifest|"values"|config/);
  });

  it('a release made from another chart, and a mix of Helm-managed and unmanaged workloads, are refused before anything changes', async () => {
    const other = await api.post(`${OTHER}/deploy`, {
      environment: 'staging',
      tag: '1.28',
    });
    expect(other.status).toBe(409);
    expect(other.body.error.message).toBe(
      `Helm release ${OTHER}/${OTHER} (environment staging) revision 1 was installed from chart other-chart-1.2.3; its chart is 'other-chart', not the service's chart '${OTHER}'; its chart has no image.repository/image.tag values. The portal deploys only releases of the golden-path chart: release it with the workflow that installed it, or reinstall it from the service's chart; nothing was changed`,
    );
    expect(history(OTHER)).toHaveLength(1);
    expect(image(OTHER)).toBe('nginx:1.27');

    const rollback = await api.post(`${OTHER}/rollback`, {
      environment: 'staging',
      revision: 1,
    });
    expect(rollback.status).toBe(409);

    const mixed = await api.post(`${MIXED}/deploy`, {
      environment: 'staging',
      tag: '1.0.1',
    });
    expect(mixed.status).toBe(409);
    expect(mixed.body.error.message).toBe(
      `Deployment ${MIXED}/${MIXED} is managed by Helm release ${MIXED}/${MIXED}, Deployment ${MIXED}/${MIXED}-worker is not (no meta.helm.sh/release-name annotation); one deploy of component:default/${MIXED} in environment staging is either one Helm revision or guarded image patches, not both: add the others to the chart, or remove their backstage.io/kubernetes-id label; nothing was changed`,
    );
    expect(image(MIXED)).toBe('registry.example.test/mixed:1.0.0');
    expect(image(MIXED, `${MIXED}-worker`)).toBe(
      'registry.example.test/mixed:1.0.0',
    );
  });

  it('a workload Helm does not manage but that carries the entity’s annotation keeps the guarded image patch: deploy and rollback', async () => {
    const before = JSON.parse(
      kubectl(['-n', UNHELMED, 'get', 'deploy', UNHELMED, '-o', 'json']),
    );
    const dry = await api.post(`${UNHELMED}/deploy`, {
      environment: 'staging',
      tag: '1.0.1',
      dryRun: true,
    });
    expect(dry.status).toBe(200);
    expect(dry.body.helm).toBeUndefined();
    expect(dry.body.changes).toEqual([
      expect.objectContaining({
        name: UNHELMED,
        fromImage: 'registry.example.test/none:1.0.0',
        toImage: 'registry.example.test/none:1.0.1',
      }),
    ]);
    expect(image(UNHELMED)).toBe('registry.example.test/none:1.0.0');

    const op = await api.postAndWait(`${UNHELMED}/deploy`, {
      environment: 'staging',
      tag: '1.0.1',
      reason: 'outside Helm',
    });
    expect(op.status).toBe('succeeded');
    expect(op.outcomeReason).toBe(
      `Rolled out ${UNHELMED} 1.0.0 -> 1.0.1 (revision 1 -> 2)`,
    );
    expect(image(UNHELMED)).toBe('registry.example.test/none:1.0.1');
    const after = JSON.parse(
      kubectl(['-n', UNHELMED, 'get', 'deploy', UNHELMED, '-o', 'json']),
    );
    expect(after.metadata.annotations['kubernetes.io/change-cause']).toBe(
      `shipshape deploy by ${USER}: outside Helm`,
    );
    expect(after.metadata.resourceVersion).not.toBe(
      before.metadata.resourceVersion,
    );
    // no Helm release was made or touched
    expect(helm(['list', '-n', UNHELMED, '-a', '-q']).trim()).toBe('');

    const back = await api.postAndWait(`${UNHELMED}/rollback`, {
      environment: 'staging',
    });
    expect(back.status).toBe('succeeded');
    expect(back.outcomeReason).toBe(
      `Rolled back ${UNHELMED} to the template of revision 1 (revision 2 -> 3)`,
    );
    expect(image(UNHELMED)).toBe('registry.example.test/none:1.0.0');
  });

  it('a deploy resumed after helm made its revision finds that revision instead of making another', async () => {
    const knex = await databases.init('SQLITE_3');
    await connectDatabase({ getClient: async () => knex } as any);
    const clusters = KubernetesClusters.fromConfig(new ConfigReader(config));
    // Backend 1's helm never returns: it goes away while helm is under way.
    const started = path.join(dir, 'hang-started');
    const hang = path.join(dir, 'hang-helm');
    fs.writeFileSync(hang, `#!/bin/sh\ntouch ${started}\nexec sleep 600\n`, {
      mode: 0o755,
    });
    const timings = { stallAfterMs: 60_000, timeoutMs: 120_000 };
    const engine = (instanceId: string, helmBinary: string) => {
      const e = OperationEngine.create({
        store: OperationStore.create(knex),
        logger: mockServices.logger.mock(),
        auditor: mockServices.auditor.mock(),
        instanceId,
        heartbeatMs: 200,
        staleAfterMs: 1_000,
      });
      e.register(
        'deploy',
        new DeployHandler(clusters, { ...timings, helmBinary }),
      );
      return e;
    };
    const first = engine('backend-1', hang);
    const {
      env,
      changes,
      helm: plan,
    } = await planDeploy(
      clusters,
      { workload: workloadRefOf(entity), environment: 'staging', tag: 'rev8' },
      async () => {},
    );
    const before = history(NAME).length;
    const submitted = await first.submit({
      kind: 'deploy',
      entityRef: `component:default/${NAME}`,
      target: `local/${NAME}/${NAME}`,
      requestedBy: USER,
      input: {
        environment: env.name,
        cluster: env.cluster,
        namespace: env.namespace,
        release: env.release,
        changes,
        changeCause: `shipshape deploy by ${USER}: resume`,
        autoRollback: true,
        helm: plan,
      },
    });
    while (!fs.existsSync(started)) await new Promise(r => setTimeout(r, 20));
    // What backend 1's helm did before it went away: the revision, with the operation's mark.
    helm([
      'upgrade',
      NAME,
      path.join(out, 'chart'),
      '-n',
      NAME,
      '--reuse-values',
      '--set-string',
      'image.tag=rev8',
      `--description=shipshape deploy by ${USER}: resume [operation ${submitted.id}]`,
    ]);
    await first.stop();

    const second = engine('backend-2', HELM);
    await new Promise(r => setTimeout(r, 1_100));
    await second.start();
    try {
      const done = await second.waitFor(submitted.id);
      expect(done.status).toBe('succeeded');
      expect(history(NAME)).toHaveLength(before + 1);
      expect((done.result as any).helm).toEqual({ revision: before + 1 });
      expect(image(NAME)).toMatch(/:rev8$/);
      const log = await second.store.getLog(submitted.id);
      expect(log.map(l => l.message)).toContain(
        `Helm release ${NAME}/${NAME}: revision ${
          before + 1
        } was made by this operation already`,
      );
    } finally {
      await second.stop();
      await knex.destroy();
    }
  });
});
