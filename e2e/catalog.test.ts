import { expect, test } from '@playwright/test';
import {
  expectAccessible,
  openAsGuest,
  screenshot,
  inDarkTheme,
} from './helpers';

test('the catalog lists the example components', async ({ page }) => {
  await openAsGuest(
    page,
    '/?filters%5Bkind%5D=component&filters%5Buser%5D=all',
  );
  for (const name of ['payments-api', 'orders-api', 'legacy-billing']) {
    await expect(page.getByRole('link', { name, exact: true })).toBeVisible();
  }
  // The stock catalog table's column headers (material-table with column dragging on) put a
  // drag handle inside each sort button (axe nested-interactive); the app cannot turn that off.
  await screenshot(page, 'catalog', {
    exclude: ['thead .MuiTableSortLabel-root'],
  });
});

test('an entity page opens with the Shipshape card and no error box', async ({
  page,
}) => {
  await openAsGuest(page, '/catalog/default/component/payments-api');
  await expect(
    page.getByRole('heading', { name: 'payments-api' }).first(),
  ).toBeVisible();
  const card = page.getByRole('table', { name: 'Shipshape contract' });
  await expect(card).toBeVisible();
  await expect(card.getByText('critical')).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
  await screenshot(page, 'entity-payments-api');
});

test('the misconfigured component shows what is wrong in the Shipshape card', async ({
  page,
}) => {
  await openAsGuest(page, '/catalog/default/component/legacy-billing');
  const card = page.getByRole('table', { name: 'Shipshape contract' });
  await expect(
    card.getByText(
      'shipshape.dev/tier is "gold"; expected one of critical, standard, best-effort',
    ),
  ).toBeVisible();
  await screenshot(page, 'entity-legacy-billing');
});

test('the entity page with its Shipshape cards passes the audit in the dark theme', async ({
  page,
}) => {
  await inDarkTheme(page);
  await openAsGuest(page, '/catalog/default/component/orders-api');
  await expect(
    page.getByRole('table', { name: 'Shipshape contract' }),
  ).toBeVisible();
  await expect(page.getByTestId('slo-availability')).toBeVisible({
    timeout: 30_000,
  });
  await expect(
    page.getByRole('region', { name: 'environment staging' }),
  ).toBeVisible();
  await screenshot(page, 'entity-orders-api-dark');
});

test('the Shipshape pages are in the sidebar', async ({ page }) => {
  await openAsGuest(page, '/');
  await page.getByRole('link', { name: 'SLO burn' }).click();
  await expect(page).toHaveURL(/\/shipshape\/slos$/);
  await expect(
    page.getByRole('link', { name: 'Ownership & Cost' }),
  ).toBeVisible();
  await expect(
    page.getByRole('grid', { name: 'SLOs by burn rate' }),
  ).toBeVisible();
  await expectAccessible(page, 'sidebar-slo-burn');
});
