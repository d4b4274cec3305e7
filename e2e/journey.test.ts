import { APIRequestContext, expect, Page, test } from '@playwright/test';
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import YAML from 'yaml';
import { renderSloAnalysisFile } from '@shipshape/plugin-shipshape-common';
import {
  expectPublishedGitignore,
  fillServiceStep,
  guestToken,
  openAsGuest,
  screenshot,
} from './helpers';

/**
 * The whole life of a golden-path service, in the browser against the local stack: created in
 * the wizard and published locally, released by its own release.yaml's deploy step (the
 * workflow's `helm upgrade --install` line, read from the published files), seen on its Rollout
 * card, deployed from the card (a Helm revision), a bad tag rolled back by itself, and the
 * workflow's next release on top. Each service's namespace is deleted at the end.
 */
const ROOT = path.resolve(__dirname, '..');
const STACK = JSON.parse(
  fs.readFileSync(path.join(ROOT, '.stack/stack.json'), 'utf8'),
);
/** shipshape.localPublish.directory of app-config.development.yaml, from the repository root. */
const PUBLISHED = path.join(ROOT, '.data/repos');

/** As the cluster's admin (the workflow's KUBECONFIG, and the platform's setup). */
function kubectl(args: string[], input?: string): string {
  return execFileSync(
    STACK.kubernetes.kubectl,
    ['--kubeconfig', STACK.kubernetes.adminKubeconfig, ...args],
    { encoding: 'utf8', input },
  );
}

function helmHistory(name: string) {
  return JSON.parse(
    execFileSync(
      path.join(STACK.toolsBin, 'helm'),
      [
        '--kubeconfig',
        STACK.kubernetes.adminKubeconfig,
        'history',
        name,
        '-n',
        name,
        '-o',
        'json',
      ],
      { encoding: 'utf8' },
    ),
  ) as Array<{ revision: number; status: string; description: string }>;
}

/**
 * Runs the published release.yaml's deploy-staging steps `Deploy` and `Rollout status` as the
 * workflow does: their own `run:` text in bash, in the checked-out repository, with the job's
 * env (NAME from chart/Chart.yaml as the meta job reads it, TAG, no DIGEST: nothing was pushed),
 * the runner's GITHUB_RUN_ID, GITHUB_ACTOR (WORKFLOW_ACTOR) and GITHUB_SHA (the tag, as TAG is
 * github.sha), and KUBECONFIG, helm and kubectl from the stack. Returns when the deploy step has
 * finished.
 */
/** Who pushed, as the runner's GITHUB_ACTOR says: the release's Helm description names them. */
const WORKFLOW_ACTOR = 'journey-dev';
let workflowRuns = 0;

function workflowDeploy(
  repo: string,
  tag: string,
  steps = ['Deploy', 'Rollout status'],
): number {
  const workflow = YAML.parse(
    fs.readFileSync(path.join(repo, '.github/workflows/release.yaml'), 'utf8'),
  );
  const job = workflow.jobs['deploy-staging'];
  const chart = YAML.parse(
    fs.readFileSync(path.join(repo, 'chart/Chart.yaml'), 'utf8'),
  );
  const env = {
    ...process.env,
    PATH: `${STACK.toolsBin}:${process.env.PATH}`,
    KUBECONFIG: STACK.kubernetes.adminKubeconfig,
    NAME: chart.name,
    TAG: tag,
    DIGEST: '',
    VALUES: job.env.VALUES,
    GITHUB_RUN_ID: String(Date.now() * 10 + (workflowRuns++ % 10)),
    GITHUB_ACTOR: WORKFLOW_ACTOR,
    GITHUB_SHA: tag,
  };
  let finished = 0;
  for (const name of steps) {
    const step = job.steps.find((s: { name?: string }) => s.name === name);
    expect(step?.run, `release.yaml deploy-staging step ${name}`).toBeTruthy();
    execFileSync('bash', ['-euo', 'pipefail', '-c', step.run], {
      cwd: repo,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 180_000,
    });
    if (name === 'Deploy') finished = Date.now();
  }
  return finished;
}

/** The platform lets the portal's deploy identity manage the service's namespace (docs). */
function grantOperator(ns: string) {
  kubectl(
    ['apply', '-f', '-'],
    fs
      .readFileSync(path.join(ROOT, 'deploy/rbac/operator-helm.yaml'), 'utf8')
      .replace(/NAMESPACE/g, ns),
  );
}

/** The wizard of `template`, published locally, up to the new service's entity page. */
async function createInWizard(
  page: Page,
  template: string,
  name: string,
  strategy?: 'canary',
) {
  await openAsGuest(
    page,
    `/create/templates/default/${template}?formData=${encodeURIComponent(
      JSON.stringify({ publishTarget: 'local' }),
    )}`,
  );
  await fillServiceStep(page, name);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('radio', { name: /^standard/ }).check();
  await page.getByRole('textbox', { name: 'Cost center' }).fill('CC-1234');
  const production = page.getByRole('checkbox', { name: 'production' });
  if (await production.isChecked()) await production.uncheck();
  if (strategy) {
    await page.getByRole('button', { name: /^Release strategy/ }).click();
    await page
      .getByRole('option', { name: new RegExp(`^${strategy}`) })
      .click();
  }
  await screenshot(page, `journey-${name.split('-')[1]}-1-wizard`, {
    include: 'form',
  });
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByText('Database').first()).toBeVisible();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('textbox', { name: 'Owner' }).fill('acme');
  const repo = page.getByRole('textbox', { name: 'Repository' });
  await repo.fill(name);
  await repo.press('Tab');
  await expect(async () => {
    await page.getByRole('button', { name: 'Review' }).click();
    await expect(page.getByRole('button', { name: 'Create' })).toBeVisible({
      timeout: 2_000,
    });
  }).toPass({ timeout: 20_000 });
  await page.getByRole('button', { name: 'Create' }).click();
  const open = page.getByRole('link', { name: 'Open in catalog' });
  await expect(open).toBeVisible({ timeout: 120_000 });
  await open.click();
  // registered: the catalog processes the new location a moment later
  const contract = page.getByRole('table', { name: 'Shipshape contract' });
  await expect(async () => {
    if (await page.getByText('Entity not found').isVisible()) {
      await page.reload();
    }
    await expect(contract).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 60_000 });
}

/**
 * Audit options of the entity page once the portal has notified the guest's team (a rollback
 * does; notifications outlive a browser context): the stock notifications sidebar item (its
 * unread count is not in its name) and toast.
 */
const NOTIFIED = {
  exclude: ['a[href="/notifications"]', '.MuiSnackbar-root'],
};

/**
 * Marks the guest's unread notifications read (the rollbacks' notices to payments-team): the
 * tests that run after this one audit pages whose sidebar would show the unread count.
 */
async function readNotifications(request: APIRequestContext) {
  const headers = { Authorization: `Bearer ${await guestToken(request)}` };
  const res = await request.get('/api/notifications/notifications?read=false', {
    headers,
  });
  expect(res.ok()).toBe(true);
  const ids = (await res.json()).notifications.map((n: { id: string }) => n.id);
  if (!ids.length) return;
  const marked = await request.post('/api/notifications/notifications/update', {
    headers,
    data: { ids, read: true },
  });
  expect(marked.ok()).toBe(true);
}

/** Deploy from the card: its Deploy button, the deploy template with tag and reason, Create. */
async function deployFromCard(page: Page, tag: string, reason: string) {
  await page.getByRole('link', { name: 'Deploy', exact: true }).click();
  await expect(page).toHaveURL(/shipshape-deploy-service/);
  await page.getByLabel(/Image tag/).fill(tag);
  await page.getByLabel(/Reason/).fill(reason);
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/create\/tasks\//);
}

test('a rolling Python service lives its life through the portal: wizard, workflow release, card, deploy, bad tag rolled back, next release', async ({
  page,
  request,
}) => {
  test.setTimeout(600_000);
  const started = Date.now();
  const name = `journey-py-${Math.random().toString(36).slice(2, 7)}`;
  const figures: Record<string, number> = {};
  try {
    await createInWizard(page, 'shipshape-python-service', name);
    const repo = path.join(PUBLISHED, name);
    expect(fs.existsSync(path.join(repo, 'chart/Chart.yaml'))).toBe(true);
    expectPublishedGitignore(repo, 'python-service');
    const staging = page.getByRole('region', { name: 'environment staging' });
    // not released yet: staging is the service's own namespace, with nothing in it
    await expect(staging.getByText(`local/${name}`)).toBeVisible();
    await expect(page.getByText('No running pods found.')).toBeVisible();
    await screenshot(page, 'journey-py-2-registered', NOTIFIED);

    // the workflow's release, with the page open: how long until the card shows it
    const installed = workflowDeploy(repo, 'sha-0001');
    grantOperator(name);
    await expect(staging.getByText('rev 1 (sha-0001)')).toBeVisible({
      timeout: 90_000,
    });
    figures.installToCardMs = Date.now() - installed;
    // the workflow's revision says who released what (release.yaml's --description)
    expect(helmHistory(name)[0].description).toMatch(
      new RegExp(
        `^release\\.yaml run \\d+ by ${WORKFLOW_ACTOR} \\(sha-0001\\)$`,
      ),
    );
    // the Ownership & Cost card on the same page re-reads on the same workload signals
    await expect(
      page
        .getByRole('table', { name: 'Monthly cost per environment' })
        .getByRole('rowheader', {
          name: new RegExp(`^staging \\(${name}\\) · local$`),
        }),
    ).toBeVisible({ timeout: 15_000 });
    figures.installToOwnershipCardMs = Date.now() - installed;
    await staging.scrollIntoViewIfNeeded();
    await screenshot(page, 'journey-py-3-released', NOTIFIED);

    // a new tag from the card is a Helm revision
    await deployFromCard(page, 'sha-0002', 'journey: deploy from the card');
    await expect(
      page.getByText('Outcome: succeeded', { exact: false }),
    ).toBeVisible({ timeout: 120_000 });
    await page.goto(`/catalog/default/component/${name}`);
    await expect(staging.getByText('rev 2 (sha-0002)')).toBeVisible();
    await expect(staging.getByText(/deploy succeeded/)).toBeVisible();
    const afterDeploy = helmHistory(name);
    expect(afterDeploy.map(r => [r.revision, r.status])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
    // who started it from the portal, and why
    expect(afterDeploy[1].description).toMatch(
      /^shipshape deploy by \S+: journey: deploy from the card \[operation [^\]]+\]$/,
    );
    await staging.scrollIntoViewIfNeeded();
    await screenshot(page, 'journey-py-4-deployed', NOTIFIED);

    // a bad tag: its pods never become Ready, the portal rolls back by itself
    await deployFromCard(page, 'sha-bad-0003', 'journey: a bad build');
    await page.goto(`/catalog/default/component/${name}`);
    await expect(staging.getByText(/deploy rolled-back/)).toBeVisible({
      timeout: 180_000,
    });
    await expect(staging.getByText(/stalled/).first()).toBeVisible();
    await expect(staging.getByText(/\(sha-0002\)$/).first()).toBeVisible();
    const afterBad = helmHistory(name);
    expect(afterBad.at(-1)).toMatchObject({ status: 'deployed' });
    expect(afterBad.at(-1)!.description).toMatch(/Rollback to 2/);
    await staging.scrollIntoViewIfNeeded();
    await screenshot(page, 'journey-py-5-rolled-back', NOTIFIED);

    // the workflow's next release succeeds on top of the portal's revisions
    const next = afterBad.at(-1)!.revision + 1;
    const released = workflowDeploy(repo, 'sha-0004');
    const history = helmHistory(name);
    expect(history.at(-1)).toMatchObject({
      revision: next,
      status: 'deployed',
    });
    await expect(staging.getByText(/\(sha-0004\)$/).first()).toBeVisible({
      timeout: 90_000,
    });
    figures.releaseToCardMs = Date.now() - released;
    const workflowRelease = new RegExp(
      `^release\\.yaml run \\d+ by ${WORKFLOW_ACTOR} \\(sha-0004\\)$`,
    );
    expect(history.at(-1)!.description).toMatch(workflowRelease);
    await staging.scrollIntoViewIfNeeded();
    await screenshot(page, 'journey-py-6-next-release', NOTIFIED);

    // the card's Deploy history: the workflow's release names its run and who pushed
    await page.getByRole('button', { name: 'Deploy history' }).click();
    const releases = page.getByRole('table', {
      name: 'Helm releases in staging',
    });
    const row = releases.getByRole('row').filter({
      hasText: new RegExp(workflowRelease.source.slice(1, -1)),
    });
    await expect(row).toHaveCount(1, { timeout: 15_000 });
    await expect(row.getByRole('cell').first()).toHaveText(
      new RegExp(`^${next}`),
    );
    await releases.scrollIntoViewIfNeeded();
    await screenshot(page, 'journey-py-7-history', NOTIFIED);
  } finally {
    await readNotifications(request);
    kubectl([
      'delete',
      'namespace',
      name,
      '--ignore-not-found',
      '--wait=false',
    ]);
    figures.wallMs = Date.now() - started;
    // eslint-disable-next-line no-console
    console.log(`journey ${name}: ${JSON.stringify(figures)}`);
  }
});

/** The stack's steerable exporter: the service's request rate and error ratio (or none). */
async function steer(service: string, errorRatio?: number) {
  const res = await fetch(STACK.exporter.controlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(
      errorRatio === undefined
        ? { service, remove: true }
        : { service, rps: 20, errorRatio },
    ),
  });
  expect(res.ok).toBe(true);
}

function rolloutPhase(name: string): string {
  return kubectl([
    '-n',
    name,
    'get',
    'rollouts.argoproj.io',
    name,
    '-o',
    'jsonpath={.status.phase}',
  ]);
}

/**
 * The team points its chart at the Prometheus that scrapes it. Here that is the stack's, which
 * scrapes the steerable exporter (label service=<name>) instead of the service's own pods: the
 * SLO's selector is changed to it and the analysis file rendered again by the same generator.
 */
function useStackPrometheus(repo: string, name: string) {
  const slo = fs
    .readFileSync(path.join(repo, 'slo.yaml'), 'utf8')
    .replace(
      new RegExp(`job="${name}",namespace="${name}"`, 'g'),
      `service="${name}"`,
    );
  expect(slo).toContain(`service="${name}"`);
  fs.writeFileSync(path.join(repo, 'slo.yaml'), slo);
  const analysis = renderSloAnalysisFile(slo, 'slo.yaml');
  fs.writeFileSync(path.join(repo, 'chart/files/slo-analysis.yaml'), analysis);
  const valuesFile = path.join(repo, 'chart/values-staging.yaml');
  const values = YAML.parse(fs.readFileSync(valuesFile, 'utf8')) ?? {};
  values.rollout = {
    ...values.rollout,
    analysis: { prometheusAddress: STACK.prometheus.url },
  };
  fs.writeFileSync(valuesFile, YAML.stringify(values));
  return YAML.parse(analysis).metrics[0] as {
    name: string;
    query: string;
    threshold: number;
  };
}

test('a canary Node service: released by its workflow, promoted from the card, a release failing its SLO analysis aborted and rolled back', async ({
  page,
  request,
}) => {
  test.setTimeout(600_000);
  const started = Date.now();
  const name = `journey-node-${Math.random().toString(36).slice(2, 7)}`;
  const figures: Record<string, number> = {};
  try {
    await createInWizard(page, 'shipshape-node-service', name, 'canary');
    const repo = path.join(PUBLISHED, name);
    const metric = useStackPrometheus(repo, name);
    const staging = page.getByRole('region', { name: 'environment staging' });
    await expect(staging.getByText(`local/${name}`)).toBeVisible();

    // release.yaml's Deploy and Rollout status steps (the step waits for the Argo Rollout)
    await steer(name, 0);
    const installed = workflowDeploy(repo, 'sha-c001');
    grantOperator(name);
    await expect
      .poll(() => rolloutPhase(name), { timeout: 90_000 })
      .toBe('Healthy');
    await expect(staging.getByText(/\(sha-c001\)$/).first()).toBeVisible({
      timeout: 90_000,
    });
    figures.installToCardMs = Date.now() - installed;
    await expect(staging.getByText(/Argo Rollout, Canary/)).toBeVisible();
    await staging.scrollIntoViewIfNeeded();
    await screenshot(page, 'journey-node-2-released', NOTIFIED);

    // a new tag from the card: the canary passes its analysis and waits for Promote
    await deployFromCard(page, 'sha-c002', 'journey: canary of c002');
    await page.goto(`/catalog/default/component/${name}`);
    const promote = staging.getByRole('button', { name: `Promote ${name}` });
    await expect(promote).toBeVisible({ timeout: 120_000 });
    await expect(
      staging.getByRole('list', { name: `analysis runs of ${name}` }),
    ).toContainText(/Successful/);
    await expect(staging.getByLabel(`canary steps of ${name}`)).toContainText(
      'pause until promoted',
    );
    await staging.scrollIntoViewIfNeeded();
    await screenshot(page, 'journey-node-3-paused', NOTIFIED);
    await promote.click();
    // the card's last operation is now the promotion; the deploy it let go on ends with it
    await expect(staging.getByText(/promote succeeded/)).toBeVisible();
    await expect
      .poll(() => rolloutPhase(name), { timeout: 90_000 })
      .toBe('Healthy');
    await expect(staging.getByText('complete')).toBeVisible({
      timeout: 90_000,
    });
    await expect(staging.getByText(/\(sha-c002\)$/).first()).toBeVisible();
    expect(helmHistory(name).at(-1)).toMatchObject({
      revision: 2,
      status: 'deployed',
      description: expect.stringContaining('journey: canary of c002'),
    });
    await staging.scrollIntoViewIfNeeded();
    await screenshot(page, 'journey-node-4-promoted', NOTIFIED);

    // a release whose error ratio would page: its analysis fails, the Rollout is aborted and
    // the portal rolls the Helm release back
    await steer(name, 0.5);
    await expect
      .poll(
        async () => {
          const res = await fetch(
            `${STACK.prometheus.url}/api/v1/query?${new URLSearchParams({
              query: metric.query,
            })}`,
          );
          return Number((await res.json()).data.result[0]?.value[1] ?? 0);
        },
        { timeout: 90_000 },
      )
      .toBeGreaterThan(metric.threshold);
    await deployFromCard(page, 'sha-c003', 'journey: a release that fails');
    await page.goto(`/catalog/default/component/${name}`);
    await expect(staging.getByText(/deploy rolled-back/)).toBeVisible({
      timeout: 180_000,
    });
    await expect(
      staging.getByText(new RegExp(`aborted.*${metric.name}`)).first(),
    ).toBeVisible();
    await expect(
      staging.getByRole('list', { name: `analysis runs of ${name}` }),
    ).toContainText(/Failed/);
    const history = helmHistory(name);
    expect(history.at(-1)!.description).toBe('Rollback to 2');
    await expect
      .poll(() => rolloutPhase(name), { timeout: 60_000 })
      .toBe('Healthy');
    await staging.scrollIntoViewIfNeeded();
    await screenshot(page, 'journey-node-5-analysis-failed', NOTIFIED);
  } finally {
    await readNotifications(request);
    await steer(name).catch(() => undefined);
    kubectl([
      'delete',
      'namespace',
      name,
      '--ignore-not-found',
      '--wait=false',
    ]);
    figures.wallMs = Date.now() - started;
    // eslint-disable-next-line no-console
    console.log(`journey ${name}: ${JSON.stringify(figures)}`);
  }
});
