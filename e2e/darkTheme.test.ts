import { expect, test } from '@playwright/test';
import { inDarkTheme, openAsGuest, screenshot } from './helpers';

/**
 * Shipshape's tab and pages in the dark theme, each audited (axe) and saved as a screenshot:
 * the Rollout tab, the SLO tab's charts, the SLO burn page and the DR overview. The cards' dark
 * screenshots are in catalog.test (entity-orders-api-dark) and slo.test.
 */
test.beforeEach(async ({ page }) => {
  await inDarkTheme(page);
});

test('the Rollout tab in the dark theme', async ({ page }) => {
  await openAsGuest(page, '/catalog/default/component/payments-api/rollout');
  const pods = page
    .getByRole('region', { name: 'environment production' })
    .getByRole('list', { name: 'pods of payments-api' });
  await expect(pods.getByRole('listitem')).toHaveCount(3);
  await screenshot(page, 'rollout-tab-payments-api-dark');
});

test('the SLO tab charts in the dark theme', async ({ page }) => {
  await openAsGuest(page, '/catalog/default/component/payments-api/slo');
  const section = page.getByRole('region', { name: 'charts of availability' });
  // a drawn path, not toBeVisible: a flat line's box has no height, which Playwright calls hidden
  await expect(section.locator('.recharts-line-curve').first()).toHaveAttribute(
    'd',
    /^M[\d.]+,[\d.]+L/,
    {
      timeout: 30_000,
    },
  );
  await expect(section.locator('.recharts-reference-line')).toHaveCount(5);
  await section.scrollIntoViewIfNeeded();
  await screenshot(page, 'slo-charts-payments-api-dark');
});

test('the SLO burn page in the dark theme', async ({ page }) => {
  await openAsGuest(page, '/shipshape/slos');
  await expect(
    page
      .getByRole('grid', { name: 'SLOs by burn rate' })
      .getByRole('link', { name: 'payments-api' })
      .first(),
  ).toBeVisible({ timeout: 30_000 });
  await screenshot(page, 'slo-burn-page-dark');
});

test('the DR overview in the dark theme', async ({ page }) => {
  await openAsGuest(page, '/shipshape/dr');
  await expect(page.getByRole('link', { name: 'payments-api' })).toBeVisible({
    timeout: 30_000,
  });
  await expect(
    page.getByText(
      /^\d+ of \d+ services have no verified backup within their RPO$/,
    ),
  ).toBeVisible();
  await screenshot(page, 'dr-overview-dark');
});
