import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { renderSloAnalysisFile } from '@shipshape/plugin-shipshape-common';
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import YAML from 'yaml';
import {
  eventually,
  kubectl,
  readLocalStack,
  readStackKubernetes,
  testConfig,
  waitRolloutPhase,
  HELM,
  REPO,
  helm,
  helmHistory,
  renderGoldenPath,
  workflowReleaseArgs,
} from '@internal/shipshape-test-utils';
import { shipshapePlugin } from '../plugin';
import { shipshapeApi } from './__testUtils__/api';

jest.setTimeout(300_000);

// A canary service of the golden path on the stack: the node-service template rendered with
// strategy canary, released as its release.yaml does, deployed and promoted from the portal
// (Helm revisions), and a release whose error ratio would page aborted by its SLO analysis and
// rolled back through Helm. Prometheus here scrapes the stack's exporter (labels job
// shipshape-exporter, service <name>), so the service's slo.yaml gets the exporter's selector
// and the chart's analysis file is rendered from it again by the same generator.
const NAME = `canary-path-${process.pid}`;
const USER = 'user:default/someone';
const stack = readLocalStack();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canary-path-'));

async function steer(errorRatio: number, remove = false) {
  const res = await fetch(stack.exporter.controlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(
      remove
        ? { service: NAME, remove }
        : { service: NAME, rps: 20, errorRatio },
    ),
  });
  expect(res.ok).toBe(true);
}

/** release.yaml's Rollout status step, run as the workflow runs it (in the service's repository). */
function workflowRolloutStatus(out: string) {
  // the job's kubectl and credentials: the stack's, as the cluster admin
  const k = readStackKubernetes();
  const r = spawnSync(
    'bash',
    ['.github/scripts/rollout-status.sh', NAME, '60'],
    {
      cwd: out,
      encoding: 'utf8',
      env: {
        ...process.env,
        KUBECONFIG: k.adminKubeconfig,
        PATH: `${path.dirname(k.kubectl)}:${process.env.PATH}`,
      },
      timeout: 90_000,
    },
  );
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function rollout() {
  return JSON.parse(
    kubectl(['-n', NAME, 'get', 'rollouts.argoproj.io', NAME, '-o', 'json']),
  );
}

describe('a canary service of the golden path, released, deployed, promoted and rolled back by its SLO analysis', () => {
  let server: any;
  let entity: Entity;
  let out: string;
  let metric: { name: string; query: string; threshold: number };
  const api = shipshapeApi(() => server, USER);

  beforeAll(async () => {
    out = renderGoldenPath(NAME, dir, { strategy: 'canary' });
    entity = YAML.parse(
      fs.readFileSync(path.join(out, 'catalog-info.yaml'), 'utf8'),
    );
    const slo = fs
      .readFileSync(path.join(out, 'slo.yaml'), 'utf8')
      .replace(
        new RegExp(`job="${NAME}",namespace="${NAME}"`, 'g'),
        `service="${NAME}"`,
      );
    const analysis = renderSloAnalysisFile(slo, 'slo.yaml');
    fs.writeFileSync(path.join(out, 'chart/files/slo-analysis.yaml'), analysis);
    metric = YAML.parse(analysis).metrics[0];
    await steer(0);
    kubectl(['delete', 'namespace', NAME, '--ignore-not-found', '--wait']);
    // release.yaml's deploy step, with the Prometheus the controller reaches here
    helm([
      ...workflowReleaseArgs(out, NAME, 'rev1'),
      '--set',
      `rollout.analysis.prometheusAddress=${stack.prometheus.url}`,
    ]);
    waitRolloutPhase(NAME, NAME, 'Healthy', 120);
    // the portal's deploy identity in the service's namespace: the documented role
    // (deploy/rbac/operator-helm.yaml), which includes the Rollout and its analysis (the
    // built-in admin role has no argoproj.io kinds)
    kubectl(
      ['apply', '-f', '-'],
      fs
        .readFileSync(path.join(REPO, 'deploy/rbac/operator-helm.yaml'), 'utf8')
        .replace(/NAMESPACE/g, NAME),
    );
    const config = testConfig([
      { name: 'staging', namespacePerService: true },
    ]) as any;
    config.shipshape.rollout.helmBinary = HELM;
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.rootConfig.factory({ data: config }),
        mockServices.permissions.factory(),
        catalogServiceMock.factory({ entities: [entity] }),
      ],
    }));
  }, 280_000);

  afterAll(async () => {
    kubectl([
      'delete',
      'namespace',
      NAME,
      '--ignore-not-found',
      '--wait=false',
    ]);
    await steer(0, true);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const card = async () => {
    const res = await api.get(`entities/component/default/${NAME}/rollout`);
    expect(res.status).toBe(200);
    return res.body.environments[0];
  };

  it('a portal deploy is a Helm revision that passes the SLO analysis and waits; Promote from the portal finishes it', async () => {
    const t0 = Date.now();
    const started = await api.post(`${NAME}/deploy`, {
      environment: 'staging',
      tag: 'rev2',
      reason: 'canary of rev2',
    });
    expect(started.status).toBe(202);
    await eventually(async () => {
      const op = (await api.get(`operations/${started.body.id}`)).body;
      expect(`${op.status}: ${op.outcomeReason ?? ''}`).toBe('running: ');
      expect(rollout().status.phase).toBe('Paused');
    }, 120_000);
    const pausedMs = Date.now() - t0;
    // the workflow's Rollout status step: released, waiting for Promote
    expect(workflowRolloutStatus(out)).toMatchObject({
      status: 0,
      output: expect.stringContaining(`Rollout ${NAME} waits for Promote`),
    });
    const env = await card();
    expect(env).toMatchObject({ namespace: NAME, status: 'ok' });
    expect(env.workloads[0]).toMatchObject({
      kind: 'Rollout',
      phase: 'paused',
      current: { tags: ['rev2'] },
      strategy: {
        type: 'Canary',
        canaryStep: 3,
        canaryWeight: 25,
        steps: [
          'setWeight 25',
          `analysis ${NAME}-slo`,
          'pause until promoted',
          'setWeight 75',
          'pause 30s',
        ],
      },
    });
    // one metric per SLO of slo.yaml (availability, latency), each passed
    expect(env.workloads[0].analysisRuns[0]).toMatchObject({
      phase: 'Successful',
      metrics: [
        { name: metric.name, phase: 'Successful' },
        { name: `slo-${NAME}-latency`, phase: 'Successful' },
      ],
    });
    // the deploy is Helm's revision 2, and its operation still follows the paused canary
    const revisions = helmHistory(NAME);
    expect(revisions.at(-1)).toMatchObject({ revision: 2 });
    expect(revisions.at(-1)!.description).toContain(
      `[operation ${started.body.id}]`,
    );
    expect((await api.get(`operations/${started.body.id}`)).body.status).toBe(
      'running',
    );

    const promoted = await api.post(`${NAME}/promote`, {
      environment: 'staging',
    });
    expect(promoted.status).toBe(200);
    const op = await api.waitDone(started.body.id);
    expect(op.status).toBe('succeeded');
    expect(rollout().status.phase).toBe('Healthy');
    expect(workflowRolloutStatus(out)).toMatchObject({
      status: 0,
      output: expect.stringContaining(`Rollout ${NAME} is healthy`),
    });
    // eslint-disable-next-line no-console
    console.log(
      `canary deploy through Helm: analysis passed and paused after ${pausedMs} ms; promoted, complete after ${
        Date.now() - t0
      } ms in all`,
    );
  });

  it('a release whose error ratio would page is aborted by its analysis and the portal rolls the Helm release back', async () => {
    await steer(0.5);
    await eventually(async () => {
      const res = await fetch(
        `${stack.prometheus.url}/api/v1/query?${new URLSearchParams({
          query: metric.query,
        })}`,
      );
      const v = Number((await res.json()).data.result[0]?.value[1]);
      expect(v).toBeGreaterThan(metric.threshold);
    }, 60_000);
    const t0 = Date.now();
    const op = await api.postAndWait(`${NAME}/deploy`, {
      environment: 'staging',
      tag: 'rev3',
      reason: 'a release that raises the error rate',
    });
    const ms = Date.now() - t0;
    expect(op.status).toBe('rolled-back');
    expect(op.outcomeReason).toMatch(
      new RegExp(
        `aborted.*${metric.name}.*rolled back to Helm revision 2 \\(as revision 4\\)`,
      ),
    );
    const revisions = helmHistory(NAME);
    expect(revisions.slice(-2)).toEqual([
      expect.objectContaining({ revision: 3 }),
      expect.objectContaining({ revision: 4, description: 'Rollback to 2' }),
    ]);
    await eventually(async () => {
      expect(rollout().status.phase).toBe('Healthy');
    }, 60_000);
    expect(rollout().spec.template.spec.containers[0].image).toMatch(/:rev2$/);
    const env = await card();
    expect(env.workloads[0].analysisRuns).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          phase: 'Failed',
          metrics: expect.arrayContaining([
            expect.objectContaining({
              name: metric.name,
              phase: 'Failed',
              value: expect.stringMatching(/^\[0\.\d+\]$/),
            }),
          ]),
        }),
      ]),
    );
    // eslint-disable-next-line no-console
    console.log(
      `bad canary: deployed, analysis failed, aborted and rolled back through Helm in ${ms} ms`,
    );
  });
  it("fails the workflow's Rollout status step when the release's analysis aborts it (the job then rolls back)", async () => {
    // the error ratio of the previous test still pages: the next workflow release is aborted
    helm([
      ...workflowReleaseArgs(out, NAME, 'rev5'),
      '--set',
      `rollout.analysis.prometheusAddress=${stack.prometheus.url}`,
    ]);
    const step = workflowRolloutStatus(out);
    expect(step.status).toBe(1);
    expect(step.output).toMatch(
      new RegExp(`::error::Rollout ${NAME} is Degraded, aborted: .*`),
    );
    expect(rollout().spec.template.spec.containers[0].image).toMatch(/:rev5$/);
  });
});
