import { expect, test } from '@playwright/test';
import path from 'path';
import {
  expectPublishedGitignore,
  fillServiceStep,
  openAsGuest,
  screenshot,
} from './helpers';

/**
 * The golden path end to end, offline: the wizard publishes to a local git repository
 * (shipshape:publish:local, selected by the hidden publishTarget through ?formData) that the
 * catalog reads back through the shipshape backend, and the new service's page opens.
 */
const TEMPLATE = '/create/templates/default/shipshape-node-service';
const LOCAL = `${TEMPLATE}?formData=${encodeURIComponent(
  JSON.stringify({ publishTarget: 'local' }),
)}`;

test('a new service from the golden-path wizard, published locally, opens in the catalog', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const name = `e2e-svc-${Math.random().toString(36).slice(2, 8)}`;
  await openAsGuest(page, LOCAL);
  await expect(
    page.getByRole('heading', { name: /Node\.js service/ }),
  ).toBeVisible();

  await fillServiceStep(page, name);
  await screenshot(page, 'template-1-service', { include: 'form' });
  await page.getByRole('button', { name: 'Next' }).click();

  // Reliability and cost: tier standard (the default), cost center, staging only
  await page.getByRole('radio', { name: /^standard/ }).check();
  await page.getByRole('textbox', { name: 'Cost center' }).fill('CC-1234');
  const production = page.getByRole('checkbox', { name: 'production' });
  if (await production.isChecked()) await production.uncheck();
  const staging = page.getByRole('checkbox', { name: 'staging' });
  if (!(await staging.isChecked())) await staging.check();
  await screenshot(page, 'template-2-reliability', { include: 'form' });
  await page.getByRole('button', { name: 'Next' }).click();

  // Database: none (the default)
  await expect(page.getByText('Database').first()).toBeVisible();
  await page.getByRole('button', { name: 'Next' }).click();

  // Repository: the GitHub location is still asked for; publishTarget=local publishes locally
  await page.getByRole('textbox', { name: 'Owner' }).fill('acme');
  const repo = page.getByRole('textbox', { name: 'Repository' });
  await repo.fill(name);
  await repo.press('Tab');
  // the picker writes its value after a short debounce: retry until the review step shows
  await expect(async () => {
    await page.getByRole('button', { name: 'Review' }).click();
    await expect(page.getByRole('button', { name: 'Create' })).toBeVisible({
      timeout: 2_000,
    });
  }).toPass({ timeout: 20_000 });

  await expect(page.getByText(name).first()).toBeVisible();
  await screenshot(page, 'template-3-review', {
    skip: 'the stock review step (no Shipshape field on it)',
  });
  await page.getByRole('button', { name: 'Create' }).click();

  await expect(page).toHaveURL(/\/create\/tasks\//);
  // the output links appear when the task has finished
  const open = page.getByRole('link', { name: 'Open in catalog' });
  await expect(open).toBeVisible({ timeout: 120_000 });
  // the repository published into app-config.development.yaml's shipshape.localPublish.directory
  expectPublishedGitignore(
    path.resolve(__dirname, '../.data/repos', name),
    'node-service',
  );
  await screenshot(page, 'template-4-task', {
    skip: 'the stock scaffolder task page (its log viewer fails aria rules)',
  });
  await open.click();

  await expect(page).toHaveURL(
    new RegExp(`/catalog/default/component/${name}`),
  );
  // catalog:register adds the location; the catalog processes the entity a moment later,
  // so a page opened at once may say "Entity not found": reload as a user would
  const contract = page.getByRole('table', { name: 'Shipshape contract' });
  await expect(async () => {
    if (await page.getByText('Entity not found').isVisible()) {
      await page.reload();
    }
    await expect(contract).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 60_000 });
  await expect(page.getByRole('heading', { name }).first()).toBeVisible();
  await expect(contract.getByText('standard')).toBeVisible();
  await expect(contract.getByText('CC-1234')).toBeVisible();
  // the SLO card reads the new repository's slo.yaml through the same local route
  await expect(page.getByText('SLOs and error budgets')).toBeVisible();
  await expect(page.getByText(/objective 99\.9% over 30d/)).toBeVisible();
  await screenshot(page, 'template-5-entity');
});

test('an invalid name is shown at the field and no task starts', async ({
  page,
}) => {
  await openAsGuest(page, LOCAL);
  await fillServiceStep(page, 'Bad_Name');
  // the ShipshapeServiceName field says so while typing
  await expect(
    page.getByText(/^not a DNS-1123 label: use lower-case letters/),
  ).toBeVisible();
  await page.getByRole('button', { name: 'Next' }).click();
  // still on the first step, the schema's error under the Name field too
  await expect(page.getByRole('textbox', { name: 'Name' })).toHaveValue(
    'Bad_Name',
  );
  await expect(
    page.getByText('must match pattern "^[a-z]([-a-z0-9]*[a-z0-9])?$"', {
      exact: true,
    }),
  ).toBeVisible();
  await expect(page.getByRole('button', { name: 'Review' })).toHaveCount(0);
  await expect(page).not.toHaveURL(/\/create\/tasks\//);
  await screenshot(page, 'template-invalid-name', {
    include: 'form',
    // the scaffolder's own error and help lines under a field (rjsf, theme error colour)
    exclude: ['[id$="__error"]', '[id$="__help"]'],
  });
});

test('a taken name and a cost center outside the policy are refused at their fields before any task', async ({
  page,
}) => {
  await openAsGuest(page, LOCAL);
  // payments-api is in the example catalog
  await fillServiceStep(page, 'payments-api');
  await page.getByRole('button', { name: 'Next' }).click();
  // under the Name field (rjsf gives each field's error list the id root_<field>__error)
  await expect(page.locator('#root_name__error')).toHaveText(
    'payments-api is already in the catalog (component:default/payments-api); choose another name',
  );
  await expect(page.getByRole('textbox', { name: 'Cost center' })).toHaveCount(
    0,
  );
  await screenshot(page, 'template-taken-name', {
    include: 'form',
    // the scaffolder's own error and help lines under a field (rjsf, theme error colour)
    exclude: ['[id$="__error"]', '[id$="__help"]'],
  });

  // a free name passes the field; the next step checks the cost center against the policy
  const name = `e2e-free-${Math.random().toString(36).slice(2, 8)}`;
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await page.getByRole('button', { name: 'Next' }).click();
  const costCenter = page.getByRole('textbox', { name: 'Cost center' });
  await expect(costCenter).toBeVisible();
  // the field shows the rule it got from the backend (app-config shipshape.policy)
  await expect(
    page.getByText(
      /The cost-center policy asks for a value matching \^CC-\\d\{4\}\$/,
    ),
  ).toBeVisible();
  await costCenter.fill('CC-12');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.locator('#root_costCenter__error')).toHaveText(
    'Cost center outside the policy: shipshape.dev/cost-center is "CC-12"; expected a value matching ^CC-\\d{4}$; set it to a valid value, e.g. shipshape.dev/cost-center: CC-1234',
  );
  await expect(costCenter).toHaveValue('CC-12');
  await expect(page.getByRole('button', { name: 'Review' })).toHaveCount(0);
  await expect(page).not.toHaveURL(/\/create\/tasks\//);
  await screenshot(page, 'template-cost-center-outside-policy', {
    include: 'form',
    // the scaffolder's own error and help lines under a field (rjsf, theme error colour)
    exclude: ['[id$="__error"]', '[id$="__help"]'],
  });

  // a value inside the policy moves on
  await costCenter.fill('CC-1234');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(costCenter).toHaveCount(0);
});
