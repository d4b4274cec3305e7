import { expect, test } from '@playwright/test';
import { inDarkTheme, openAsGuest, screenshot } from './helpers';

test('the misconfigured component shows its policy violations, cost and missing labels', async ({
  page,
}) => {
  await openAsGuest(page, '/catalog/default/component/legacy-billing');
  const violations = page.getByRole('list', { name: 'Policy violations' });
  await expect(violations).toBeVisible();
  await expect(
    violations.getByText(
      'component:default/legacy-billing: spec.owner "group:default/billing-team" does not exist in the catalog; register that Group or set spec.owner to an existing one',
    ),
  ).toBeVisible();
  await expect(
    violations.getByText(/shipshape\.dev\/cost-center is missing/),
  ).toBeVisible();
  await expect(
    violations.getByText(/shipshape\.dev\/tier is "gold"; expected one of/),
  ).toBeVisible();
  await expect(page.getByText('— not in the catalog')).toBeVisible();
  // The stack's cluster runs legacy-billing in staging and production.
  const cost = page.getByRole('table', {
    name: 'Monthly cost per environment',
  });
  await expect(cost.getByText(/^production/)).toBeVisible();
  await expect(cost.getByText(/^staging/)).toBeVisible();
  await expect(
    page.getByRole('list', { name: 'Objects missing labels' }),
  ).toContainText('Deployment production/legacy-billing');
  await page
    .getByRole('list', { name: 'Policy violations' })
    .scrollIntoViewIfNeeded();
  await screenshot(page, 'ownership-legacy-billing');
});

test('the healthy component shows its owner, contact and parent group', async ({
  page,
}) => {
  await openAsGuest(page, '/catalog/default/component/payments-api');
  await expect(page.getByText('None: the policy is met')).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'payments@example.com' }),
  ).toBeVisible();
  await expect(page.getByText(/Parent group: Engineering/)).toBeVisible();
  await expect(
    page.getByRole('table', { name: 'Cost tags' }).getByText('CC-1001'),
  ).toBeVisible();
  await screenshot(page, 'ownership-payments-api');
});

test('the cost page lists cost centers and owners with totals', async ({
  page,
}) => {
  await openAsGuest(page, '/');
  await page.getByRole('link', { name: 'Ownership & Cost' }).click();
  await expect(page).toHaveURL(/\/shipshape\/ownership$/);
  await expect(page.getByText(/^\d+ entities$/)).toBeVisible();
  await expect(page.getByText(/per month$/)).toBeVisible();
  await expect(page.getByRole('rowheader', { name: 'CC-1001' })).toBeVisible();
  await expect(
    page.getByRole('rowheader', { name: 'group:default/billing-team' }),
  ).toBeVisible();
  const download = page.waitForEvent('download');
  await page
    .getByRole('button', { name: 'Export CSV of Cost centers' })
    .click();
  expect((await download).suggestedFilename()).toBe(
    'shipshape-cost-centers.csv',
  );
  await screenshot(page, 'ownership-cost-page');
});

test('the card and the cost page in the dark theme', async ({ page }) => {
  await inDarkTheme(page);
  await openAsGuest(page, '/catalog/default/component/legacy-billing');
  const violations = page.getByRole('list', { name: 'Policy violations' });
  await expect(violations).toBeVisible();
  await expect(page.getByText('— not in the catalog')).toBeVisible();
  await expect(
    page.getByRole('table', { name: 'Monthly cost per environment' }),
  ).toBeVisible();
  await violations.scrollIntoViewIfNeeded();
  await screenshot(page, 'ownership-legacy-billing-dark');
  await page.goto('/shipshape/ownership');
  await expect(page.getByText(/^\d+ entities$/)).toBeVisible();
  await expect(page.getByRole('rowheader', { name: 'CC-1001' })).toBeVisible();
  await screenshot(page, 'ownership-cost-page-dark');
});
