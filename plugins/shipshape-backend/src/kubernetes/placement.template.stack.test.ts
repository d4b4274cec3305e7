import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import YAML from 'yaml';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { planDeploy } from '../rollout/plan';
import {
  HELM,
  REPO,
  grantServiceNamespace,
  kubectl,
  readStackKubernetes,
  testConfig,
} from '@internal/shipshape-test-utils';
import { KubernetesClusters } from './clusters';
import {
  WorkloadOwnership,
  assertWorkloadBelongs,
  workloadRefOf,
} from './placement';

// The golden path's files, rendered by the real scaffolder engine, and the portal's resolution
// must agree: the release workflow's `helm -n`, the chart's labels and annotations and the
// catalog entry lead to the namespace and release the portal acts on. Needs the stack's helm.
/**
 * The chart's Deployment as `helm template` renders it with the values file `values` (image tag
 * 0123abc), and as the release installs it in the namespace `release` (with helm's annotations).
 */
function installedDeployment(chart: string, release: string, values: string) {
  const rendered = execFileSync(
    HELM,
    [
      'template',
      release,
      chart,
      '-n',
      release,
      '-f',
      values,
      '--kube-version',
      '1.33.0',
      '--set',
      'image.tag=0123abc',
    ],
    { encoding: 'utf8' },
  );
  const deployment = YAML.parseAllDocuments(rendered)
    .map(d => d.toJSON())
    .find(d => d?.kind === 'Deployment');
  const installed = {
    ...deployment,
    metadata: {
      ...deployment.metadata,
      namespace: release,
      annotations: {
        ...deployment.metadata.annotations,
        'meta.helm.sh/release-name': release,
        'meta.helm.sh/release-namespace': release,
      },
    },
  };
  return { deployment, installed };
}

const PARAMS = {
  ...JSON.parse(
    fs.readFileSync(
      path.join(REPO, 'templates/scripts/params/standard-none.json'),
      'utf8',
    ),
  ),
  name: 'placement-check-api',
  latencyThresholdMs: 300,
  environments: ['staging', 'production'],
  publishTarget: 'github',
};

/**
 * The demo's environments as the portal reads them: app-config.yaml's, and the local stack's
 * (scripts/stack/outputs.sh writes .stack/app-config.stack.yaml, which replaces them there).
 */
function demoEnvironments(): Array<{ source: string; environments: object[] }> {
  const appConfig = YAML.parse(
    fs.readFileSync(path.join(REPO, 'app-config.yaml'), 'utf8'),
  );
  const outputs = fs.readFileSync(
    path.join(REPO, 'scripts/stack/outputs.sh'),
    'utf8',
  );
  const heredoc = outputs.match(
    /cat >"\$STATE\/app-config.stack.yaml" <<EOF\n([\s\S]*?)\nEOF\n/,
  )![1];
  const stackConfig = YAML.parse(heredoc.replace(/\\?\$/g, ''));
  return [
    {
      source: 'app-config.yaml',
      environments: appConfig.shipshape.environments,
    },
    {
      source: 'scripts/stack/outputs.sh',
      environments: stackConfig.shipshape.environments,
    },
  ];
}

describe.each(['node-service', 'python-service'])(
  'the %s template writes what the portal resolves',
  template => {
    let out: string;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'placement-'));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    beforeAll(() => {
      const params = path.join(dir, 'params.json');
      fs.writeFileSync(params, JSON.stringify(PARAMS));
      out = path.join(dir, 'out');
      execFileSync(
        process.execPath,
        [
          path.join(REPO, 'templates/scripts/run-scaffolder.mjs'),
          path.join(REPO, 'templates', template),
          params,
          out,
        ],
        { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] },
      );
    }, 120_000);

    it('installed as the release workflow installs it, the portal plans a deploy for the entity and refuses another', async () => {
      const entity = YAML.parse(
        fs.readFileSync(path.join(out, 'catalog-info.yaml'), 'utf8'),
      ) as Entity;
      const name = YAML.parse(
        fs.readFileSync(path.join(out, 'chart/Chart.yaml'), 'utf8'),
      ).name;
      const k = readStackKubernetes();
      const helm = (args: string[]) =>
        execFileSync(HELM, ['--kubeconfig', k.adminKubeconfig, ...args], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      kubectl(['delete', 'namespace', name, '--ignore-not-found', '--wait']);
      try {
        // release.yaml's Deploy step, on the stack's cluster
        helm([
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
          'image.tag=rev1',
          '--wait',
          '--timeout',
          '3m',
        ]);
        grantServiceNamespace(name); // as the platform does for a service
        const clusters = KubernetesClusters.fromConfig(
          new ConfigReader(
            testConfig([{ name: 'staging', namespacePerService: true }]),
          ),
        );
        const rogue: Entity = {
          ...entity,
          metadata: { ...entity.metadata, name: 'rogue' },
        };
        const ownership = WorkloadOwnership.create({
          catalog: catalogServiceMock({ entities: [entity] }),
          auth: mockServices.auth(),
        });
        const req = {
          workload: workloadRefOf(entity),
          environment: 'staging',
          tag: 'rev2',
        };
        const { env, changes } = await planDeploy(
          clusters,
          req,
          ownership.of(entity),
        );
        expect(env).toMatchObject({ namespace: name, release: name });
        expect(changes).toEqual([
          expect.objectContaining({
            kind: 'Deployment',
            name,
            toImage: expect.stringMatching(/:rev2$/),
          }),
        ]);
        await expect(
          planDeploy(clusters, req, ownership.of(rogue)),
        ).rejects.toThrow(
          `Deployment ${name}/${name} belongs to component:default/${name} (annotation shipshape.dev/entity), not to component:default/rogue; nothing was changed`,
        );
      } finally {
        kubectl([
          'delete',
          'namespace',
          name,
          '--ignore-not-found',
          '--wait=false',
        ]);
      }
    }, 240_000);

    it('one namespace per service: workflow, chart and catalog entry agree with resolvePlacement', () => {
      const read = (p: string) => fs.readFileSync(path.join(out, p), 'utf8');
      const entity = YAML.parse(read('catalog-info.yaml')) as Entity;
      const chartName = YAML.parse(read('chart/Chart.yaml')).name;
      const workflow = read('.github/workflows/release.yaml');

      // The workflow names the release and namespace after chart/Chart.yaml's name ($NAME) ...
      expect(workflow).toContain(`name=$(yq -r '.name' chart/Chart.yaml)`);
      const helmCalls = workflow.match(
        /helm (upgrade|history|test|rollback)[^\n]*/g,
      )!;
      expect(helmCalls.length).toBeGreaterThanOrEqual(8);
      for (const call of helmCalls)
        expect(call).toMatch(/"\$NAME".* -n "\$NAME"/);
      // its Rollout status step waits in that namespace: the script gets "$NAME", and each of
      // its kubectl calls is in the namespace of its first argument
      const statusCalls = workflow.match(
        /bash \.github\/scripts\/rollout-status\.sh [^\n]*/g,
      )!;
      expect(statusCalls.length).toBeGreaterThanOrEqual(3);
      for (const call of statusCalls)
        expect(call).toMatch(/rollout-status\.sh "\$NAME" \d+$/);
      const statusScript = read('.github/scripts/rollout-status.sh');
      expect(statusScript).toContain('name=$1 ');
      for (const call of statusScript.match(/kubectl [^\n]*/g)!) {
        expect(call).toContain('-n "$name"');
      }

      // ... and the portal resolves the entity to that release in that namespace.
      const clusters = KubernetesClusters.fromConfig(
        new ConfigReader({
          shipshape: {
            environments: [
              { name: 'staging', cluster: 'c', namespacePerService: true },
            ],
          },
        }),
      );
      const place = clusters.placement('staging', workloadRefOf(entity));
      expect(place).toMatchObject({ namespace: chartName, release: chartName });

      // The chart's Deployment, as `helm upgrade --install $NAME -n $NAME` installs it (Helm
      // adds its release annotations), is one the portal accepts for this entity only.
      const { deployment, installed } = installedDeployment(
        path.join(out, 'chart'),
        chartName,
        path.join(out, 'chart/values-staging.yaml'),
      );
      expect(deployment.metadata.labels['backstage.io/kubernetes-id']).toBe(
        workloadRefOf(entity).kubernetesId,
      );
      expect(() =>
        assertWorkloadBelongs(place, stringifyEntityRef(entity), installed),
      ).not.toThrow();
      expect(() =>
        assertWorkloadBelongs(place, 'component:default/rogue', installed),
      ).toThrow(/belongs to component:default\/placement-check-api/);
    });

    it.each(['staging', 'production'])(
      'the workflow’s %s job, its values file and the catalog entry agree with the demo’s environment of that name',
      envName => {
        const read = (p: string) => fs.readFileSync(path.join(out, p), 'utf8');
        const entity = YAML.parse(read('catalog-info.yaml')) as Entity;
        const chartName = YAML.parse(read('chart/Chart.yaml')).name;
        const job = YAML.parse(read('.github/workflows/release.yaml')).jobs[
          `deploy-${envName}`
        ];
        // the job deploys to the GitHub environment of the portal's name, with its values file,
        // and every helm and rollout-status call of it is in namespace $NAME, release $NAME
        expect(job.environment.name).toBe(envName);
        expect(job.env.VALUES).toBe(`chart/values-${envName}.yaml`);
        const runs = job.steps.map((st: { run?: string }) => st.run ?? '');
        const calls = runs.flatMap(
          (r: string) =>
            r.match(
              /helm (upgrade|history|test|rollback)[^\n]*|rollout-status\.sh [^\n]*/g,
            ) ?? [],
        );
        expect(calls.length).toBeGreaterThanOrEqual(5);
        for (const call of calls) {
          expect(call).toMatch(
            /^helm \w+ (--install )?"\$NAME".* -n "\$NAME"|^rollout-status\.sh "\$NAME" \d+$/,
          );
        }
        // its Deploy step, run as the runner does (helm stubbed: its arguments), records who and
        // what in the Helm revision from the runner's own variables (no ${{ }} in the script)
        const deploy = job.steps.find(
          (st: { name?: string }) => st.name === 'Deploy',
        );
        expect(deploy.run).not.toContain('${{');
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-args-'));
        fs.writeFileSync(
          path.join(bin, 'helm'),
          '#!/bin/sh\nprintf "%s\\n" "$@"\n',
          { mode: 0o755 },
        );
        const args = execFileSync(
          'bash',
          ['-euo', 'pipefail', '-c', deploy.run],
          {
            cwd: out,
            encoding: 'utf8',
            env: {
              PATH: `${bin}:${process.env.PATH}`,
              NAME: chartName,
              TAG: '0123abc',
              DIGEST: '',
              VALUES: job.env.VALUES,
              GITHUB_RUN_ID: '4242',
              GITHUB_ACTOR: 'octocat',
              GITHUB_SHA: '0123abc',
            },
          },
        ).split('\n');
        fs.rmSync(bin, { recursive: true, force: true });
        expect(args.slice(0, 3)).toEqual(['upgrade', '--install', chartName]);
        expect(args[args.indexOf('--description') + 1]).toBe(
          'release.yaml run 4242 by octocat (0123abc)',
        );

        // The chart as that job installs it (its values file; Helm adds its release annotations)
        const { deployment, installed } = installedDeployment(
          path.join(out, 'chart'),
          chartName,
          path.join(out, job.env.VALUES),
        );
        expect(deployment.metadata.labels['backstage.io/kubernetes-id']).toBe(
          workloadRefOf(entity).kubernetesId,
        );

        // ... is where the demo's portal (app-config.yaml, and the local stack's config) resolves
        // the entity in that environment, and a workload it acts on for this entity only.
        for (const { source, environments } of demoEnvironments()) {
          const clusters = KubernetesClusters.fromConfig(
            new ConfigReader({ shipshape: { environments } }),
          );
          const place = clusters.placement(envName, workloadRefOf(entity));
          expect({ source, ...place }).toMatchObject({
            source,
            namespace: chartName,
            release: chartName,
          });
          expect(
            assertWorkloadBelongs(place, stringifyEntityRef(entity), installed),
          ).toBe(true);
          expect(() =>
            assertWorkloadBelongs(place, 'component:default/rogue', installed),
          ).toThrow(/belongs to component:default\/placement-check-api/);
        }
      },
    );
  },
);
