import { expect, test } from '@playwright/test';
import { openAsGuest, screenshot } from './helpers';

test('the catalog lists the example components', async ({ page }) => {
  await openAsGuest(
    page,
    '/?filters%5Bkind%5D=component&filters%5Buser%5D=all',
  );
  for (const name of ['payments-api', 'orders-api', 'legacy-billing']) {
    await expect(page.getByRole('link', { name, exact: true })).toBeVisible();
  }
  await screenshot(page, 'catalog');
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
