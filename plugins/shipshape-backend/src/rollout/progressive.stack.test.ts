import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { renderSloAnalysisFile } from '@shipshape/plugin-shipshape-common';
import fs from 'fs';
import path from 'path';
import YAML from 'yaml';
import { shipshapePlugin } from '../plugin';
import { responseMismatches } from '../schema/__testUtils__/conforms';
import { onlyUserAllowed } from '../__testUtils__/permissions';
import { shipshapeApi, testComponent } from './__testUtils__/api';
import {
  createServiceNamespace,
  eventually,
  kubectl,
  readLocalStack,
  REPO as REPO_ROOT,
  testConfig,
  testRollout,
  waitRolloutPhase,
} from '@internal/shipshape-test-utils';

jest.setTimeout(240_000);

// Progressive delivery on the stack's real Argo Rollouts controller and Prometheus: a canary
// whose analysis is the service's SLO error ratio, rendered by the golden path's generator
// (renderSloAnalysisFile), measured on the stack's exporter, whose error ratio the test steers.
const NS = `shipshape-progressive-${process.pid}`;
const NAME = `pd-${process.pid}`;
const OWNER = 'user:default/owner-user';
const REPO = 'registry.example.test/shipshape/progressive';
const stack = readLocalStack();

// The service's slo.yaml as the templates write it, with the exporter's selector (service=...).
const SLO = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: ${NAME}-availability
spec:
  service: ${NAME}
  indicator:
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: sum(http_requests_total{service="${NAME}",code!~"5.."})
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(http_requests_total{service="${NAME}"})
  timeWindow:
    - duration: 30d
      isRolling: true
  objectives:
    - target: 0.999
`;

async function steer(errorRatio: number) {
  const res = await fetch(stack.exporter.controlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ service: NAME, rps: 20, errorRatio }),
  });
  expect(res.ok).toBe(true);
}

async function promQuery(query: string): Promise<number | undefined> {
  const res = await fetch(
    `${stack.prometheus.url}/api/v1/query?${new URLSearchParams({ query })}`,
  );
  const body = await res.json();
  const v = body.data?.result?.[0]?.value?.[1];
  return v === undefined ? undefined : Number(v);
}

/** Real payloads for the Rollout card's tests (plugins/shipshape), with SHIPSHAPE_WRITE_FIXTURES=1. */
function writeFixture(name: string, body: unknown) {
  if (!process.env.SHIPSHAPE_WRITE_FIXTURES) return;
  const dir = path.join(
    REPO_ROOT,
    'plugins/shipshape/src/components/rollout/__fixtures__',
  );
  fs.writeFileSync(path.join(dir, name), `${JSON.stringify(body, null, 2)}\n`);
}

function rollout() {
  return JSON.parse(
    kubectl(['-n', NS, 'get', 'rollouts.argoproj.io', NAME, '-o', 'json']),
  );
}

function setImage(tag: string) {
  kubectl([
    '-n',
    NS,
    'patch',
    'rollouts.argoproj.io',
    NAME,
    '--type=json',
    '-p',
    JSON.stringify([
      {
        op: 'replace',
        path: '/spec/template/spec/containers/0/image',
        value: `${REPO}:${tag}`,
      },
    ]),
  ]);
}

describe('progressive delivery: SLO analysis, Promote, Abort and Retry (real controller and Prometheus)', () => {
  let server: any;
  const { metrics } = YAML.parse(renderSloAnalysisFile(SLO, 'slo.yaml'));
  const metric = metrics[0];

  beforeAll(async () => {
    await steer(0);
    createServiceNamespace(NS);
    // The chart's AnalysisTemplate, with the generated metric (measured every 2 s here).
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AnalysisTemplate',
        metadata: { name: `${NAME}-slo`, namespace: NS },
        spec: {
          metrics: [
            {
              name: metric.name,
              interval: '2s',
              count: metric.count,
              failureLimit: metric.failureLimit,
              failureCondition: metric.failureCondition,
              provider: {
                prometheus: {
                  address: stack.prometheus.url,
                  query: metric.query,
                },
              },
            },
          ],
        },
      }),
    );
    kubectl(
      ['apply', '-f', '-'],
      testRollout({
        namespace: NS,
        name: NAME,
        kubernetesId: NAME,
        image: `${REPO}:1.0.0`,
        progressDeadlineSeconds: 120,
        steps: [
          { setWeight: 50 },
          { analysis: { templates: [{ templateName: `${NAME}-slo` }] } },
          { pause: {} },
        ],
      }),
    );
    waitRolloutPhase(NS, NAME, 'Healthy');
    ({ server } = await startTestBackend({
      features: [
        shipshapePlugin,
        mockServices.rootConfig.factory({
          data: testConfig([{ name: 'test', namespace: NS }]),
        }),
        onlyUserAllowed(OWNER).factory,
        catalogServiceMock.factory({
          entities: [testComponent(NAME, NAME)],
        }),
      ],
    }));
  });

  afterAll(async () => {
    kubectl(['delete', 'namespace', NS, '--wait=false']);
    await fetch(stack.exporter.controlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: NAME, remove: true }),
    });
  });

  const { post, get } = shipshapeApi(() => server, OWNER);

  let lastCard: unknown;
  const card = async () => {
    const res = await get(`entities/component/default/${NAME}/rollout`);
    expect(res.status).toBe(200);
    expect(
      responseMismatches(
        res.body,
        '/entities/{kind}/{namespace}/{name}/rollout',
        'get',
        200,
      ),
    ).toEqual([]);
    lastCard = res.body;
    const [environment] = res.body.environments;
    // Say what the card answered instead of failing later on an undefined workload (seen
    // once in a full parallel run, not reproduced alone).
    expect(environment).toMatchObject({ workloads: [expect.anything()] });
    return environment.workloads[0];
  };

  const operations = async () =>
    (await get(`entities/component/default/${NAME}/operations`)).body.items;

  it('refuses Promote, Abort and Retry that do not fit a healthy Rollout: 409 saying what to do, nothing changed', async () => {
    const before = rollout();
    for (const [action, message] of [
      [
        'promote',
        `Rollout ${NS}/${NAME} in environment test is not paused (phase Healthy), so there is nothing to promote: Promote moves on a Rollout that waits at a pause step (a canary step or a blue-green preview); deploy a new image to start a release; nothing was changed`,
      ],
      [
        'abort',
        `Rollout ${NS}/${NAME} in environment test is already healthy on its current revision (phase Healthy), so there is no release to abort: to go back to an earlier release, roll back instead; nothing was changed`,
      ],
      [
        'retry',
        /is not aborted \(phase Healthy\), so there is nothing to retry/,
      ],
    ] as const) {
      for (const dryRun of [true, false]) {
        const res = await post(`${NAME}/${action}`, {
          environment: 'test',
          dryRun,
        });
        expect(res.status).toBe(409);
        expect(res.body.error.name).toBe('ConflictError');
        expect(res.body.error.message).toMatch(message);
      }
    }
    expect(rollout().spec).toEqual(before.spec);
    expect(rollout().status.abort).toBeFalsy();
    expect(await operations()).toEqual([]);
  });

  it('a good canary passes its SLO analysis and waits; the card shows steps, weight and the run; Promote (an operation) finishes it', async () => {
    setImage('2.0.0');
    waitRolloutPhase(NS, NAME, 'Paused', 90);
    const w = await card();
    expect(w).toMatchObject({
      kind: 'Rollout',
      phase: 'paused',
      strategy: {
        type: 'Canary',
        canaryStep: 3,
        canarySteps: 3,
        canaryWeight: 50,
        steps: ['setWeight 50', `analysis ${NAME}-slo`, 'pause until promoted'],
      },
    });
    expect(w.analysisRuns[0]).toMatchObject({
      phase: 'Successful',
      revision: 2,
      metrics: [
        {
          name: metric.name,
          phase: 'Successful',
          value: expect.stringMatching(/^\[/),
          failureCondition: 'len(result) > 0 && result[0] > 0.0144',
        },
      ],
    });

    writeFixture('canaryPaused.json', lastCard);
    const dry = await post(`${NAME}/promote`, {
      environment: 'test',
      dryRun: true,
    });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ action: 'promote', dryRun: true });
    expect(rollout().status.phase).toBe('Paused');
    const res = await post(`${NAME}/promote`, { environment: 'test' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      action: 'promote',
      dryRun: false,
      environment: 'test',
      cluster: 'local',
      namespace: NS,
      rollouts: [NAME],
    });
    waitRolloutPhase(NS, NAME, 'Healthy', 60);
    expect((await operations())[0]).toMatchObject({
      kind: 'promote',
      status: 'succeeded',
      requestedBy: OWNER,
      outcomeReason: `Promoted ${NAME} in test`,
    });
  });

  it('a canary whose error ratio would page fails its analysis, is aborted by itself, and the card says why; Retry is an operation', async () => {
    await steer(0.5);
    // the generated query, on the stack's Prometheus, is above the threshold before the release
    await eventually(async () => {
      expect(await promQuery(metric.query)).toBeGreaterThan(metric.threshold);
    }, 60_000);
    const t0 = Date.now();
    setImage('3.0.0');
    await eventually(async () => {
      expect(rollout().status.abort).toBe(true);
    }, 90_000);
    const abortedMs = Date.now() - t0;
    // the abort is seen on the Rollout first; the card reads it on its next request
    let w: any;
    await eventually(async () => {
      w = await card();
      expect(w.phase).toBe('stalled');
    }, 30_000);
    writeFixture('canaryAborted.json', lastCard);
    expect(w.phase).toBe('stalled');
    expect(w.analysisRuns[0]).toMatchObject({
      phase: 'Failed',
      revision: 3,
      metrics: [{ name: metric.name, phase: 'Failed' }],
    });
    const value = Number(
      JSON.parse(w.analysisRuns[0].metrics[0].value.replace(/ /g, ','))[0],
    );
    expect(value).toBeGreaterThan(metric.threshold);
    // the card's reason: the metric, its value and the condition it failed on
    expect(w.reason).toContain(
      `${metric.name} = ${w.analysisRuns[0].metrics[0].value} (fails when len(result) > 0 && result[0] > 0.0144)`,
    );
    // the stable pods (2.0.0) serve again
    expect(rollout().status.stableRS).not.toBe(rollout().status.currentPodHash);
    // eslint-disable-next-line no-console
    console.log(
      `analysis failed and the canary was aborted ${abortedMs} ms after the release (error ratio ${value})`,
    );

    const again = await post(`${NAME}/abort`, { environment: 'test' });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(
      /is aborted already .*: Retry it, or roll back to an earlier revision; nothing was changed$/,
    );
    const promote = await post(`${NAME}/promote`, { environment: 'test' });
    expect(promote.status).toBe(409);
    expect(promote.body.error.message).toMatch(/was aborted .*Retry it/);

    await steer(0);
    const runs = () =>
      JSON.parse(
        kubectl(['-n', NS, 'get', 'analysisruns.argoproj.io', '-o', 'json']),
      ).items.length;
    const before = runs();
    const retry = await post(`${NAME}/retry`, { environment: 'test' });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ action: 'retry', rollouts: [NAME] });
    expect((await operations())[0]).toMatchObject({
      kind: 'retry',
      status: 'succeeded',
    });
    // The controller takes the release up again: a new analysis run (which may fail again
    // while the 5-minute ratio still remembers the errors; then Retry or roll back again).
    await eventually(async () => {
      expect(runs()).toBeGreaterThan(before);
    }, 30_000);
  });
});
