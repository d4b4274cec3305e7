/**
 * Measures, on the local stack's real cluster and with the stack's helm (not part of the normal
 * test run): a portal deploy of a golden-path service that Helm manages (POST .../deploy with a
 * new tag: plan, `helm upgrade` of the release's own chart and values without --wait, then the
 * engine's watch-based follower until the rollout is complete) against the release workflow's
 * way, `helm upgrade --wait` of the same chart with a new tag, alternated on the same release
 * (BENCH_RUNS each, default 5), and the same upgrade without --wait (Helm's own work, so that
 * its wait can be told apart from it). Both from the request (or command start) to the moment the
 * completed rollout is known (operation outcome recorded / helm exited).
 *
 *   cd plugins/shipshape-backend && CI=true yarn backstage-cli package test \
 *     --roots "$PWD/../../bench" --testMatch '**\/helmDeploy.bench.ts' --testTimeout 1800000
 *
 * Prints one JSON line with the figures (see docs/operations.md for the last run).
 */
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import shipshapePlugin from '@shipshape/plugin-shipshape-backend';
import fs from 'fs';
import os from 'os';
import path from 'path';
import YAML from 'yaml';
import {
  kubectl,
  readStackKubernetes,
  testConfig,
  HELM,
  grantOperator,
  helmHistory,
  renderGoldenPath,
  workflowRelease,
  workflowReleaseArgs,
} from '@internal/shipshape-test-utils';
import { shipshapeApi } from '../plugins/shipshape-backend/src/rollout/__testUtils__/api';
import { commandDone, stats } from './measure';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const NAME = `helm-bench-${process.pid}`;
const USER = 'user:default/bench';

describe('helm deploy benchmark', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-bench-'));
  let server: any;
  let out: string;

  beforeAll(async () => {
    out = renderGoldenPath(NAME, dir);
    kubectl(['delete', 'namespace', NAME, '--ignore-not-found', '--wait']);
    workflowRelease(out, NAME, 'bench-0');
    grantOperator(NAME);
    const entity = YAML.parse(
      fs.readFileSync(path.join(out, 'catalog-info.yaml'), 'utf8'),
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
  }, 300_000);

  afterAll(() => {
    kubectl([
      'delete',
      'namespace',
      NAME,
      '--ignore-not-found',
      '--wait=false',
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('portal deploy through Helm against helm upgrade --wait, same release, new tag each run', async () => {
    const api = shipshapeApi(() => server, USER);
    const k = readStackKubernetes();
    const portal: number[] = [];
    const helmWait: number[] = [];
    /** The portal's parts: request to helm, helm upgrade itself, then the follower. */
    const portalHelm: number[] = [];
    const portalFollow: number[] = [];
    /** The same upgrade without --wait: helm's own work, to tell its wait apart. */
    const helmNoWait: number[] = [];
    const helmArgs = (tag: string) => [
      '--kubeconfig',
      k.adminKubeconfig,
      ...workflowReleaseArgs(out, NAME, tag),
    ];
    for (let i = 1; i <= RUNS; i++) {
      let t0 = performance.now();
      const op = await api.postAndWait(`${NAME}/deploy`, {
        environment: 'staging',
        tag: `bench-p${i}`,
      });
      portal.push(performance.now() - t0);
      expect(op.status).toBe('succeeded');
      const log = await api.get(`operations/${op.id}/log?after=0`);
      const at = (prefix: string) =>
        Date.parse(
          log.body.lines.find((l: any) => l.message.startsWith(prefix)).at,
        );
      const made = at('Helm release');
      portalHelm.push(made - at('helm upgrade'));
      portalFollow.push(Date.parse(op.finishedAt) - made);

      t0 = performance.now();
      helmNoWait.push(await commandDone(HELM, helmArgs(`bench-n${i}`), t0));
      kubectl(['-n', NAME, 'rollout', 'status', `deploy/${NAME}`]);

      t0 = performance.now();
      helmWait.push(
        await commandDone(
          HELM,
          [...helmArgs(`bench-h${i}`), '--wait', '--timeout', '5m'],
          t0,
        ),
      );
    }
    expect(helmHistory(NAME)).toHaveLength(Math.min(20, 1 + 3 * RUNS));
    const result = {
      bench: 'helm-deploy-completion',
      runs: portal.map((p, i) => ({
        run: i + 1,
        portalMs: Math.round(p),
        portalHelmMs: Math.round(portalHelm[i]),
        portalFollowMs: Math.round(portalFollow[i]),
        helmWaitMs: Math.round(helmWait[i]),
        helmNoWaitMs: Math.round(helmNoWait[i]),
      })),
      portal: stats(portal),
      portalHelm: stats(portalHelm),
      portalFollow: stats(portalFollow),
      helmWait: stats(helmWait),
      helmNoWait: stats(helmNoWait),
      ratioMedian: +(stats(portal).p50 / stats(helmWait).p50).toFixed(2),
      // completion detection alone: the follower after helm returned, against helm's wait
      // (its --wait run minus its run without)
      detectionRatioMedian: +(
        stats(portalFollow).p50 /
        Math.max(1, stats(helmWait).p50 - stats(helmNoWait).p50)
      ).toFixed(2),
    };
    // eslint-disable-next-line no-console
    console.log(JSON.stringify(result));
  });
});
