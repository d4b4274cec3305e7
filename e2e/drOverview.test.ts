import { expect, test } from '@playwright/test';
import fs from 'fs';
import { openAsGuest, screenshot } from './helpers';

// The fleet's DR from the sidebar: the example services with their grade, backup against the
// RPO and drill against the RTO; the tier filter asks the backend again; the CSV export holds
// the rows shown; each service links to its page.
test('the DR overview lists the services, filters by tier, exports the rows shown and links each service', async ({
  page,
}) => {
  await openAsGuest(page, '/');
  await page.getByRole('link', { name: 'DR overview' }).click();
  await expect(page).toHaveURL(/\/shipshape\/dr$/);

  const payments = page.getByRole('link', { name: 'payments-api' });
  await expect(payments).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('link', { name: 'orders-api' })).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'legacy-billing' }),
  ).toBeVisible();
  await expect(
    page.getByText(
      /^\d+ of \d+ services have no verified backup within their RPO$/,
    ),
  ).toBeVisible();
  // payments-api declares RPO 15m and RTO 1h
  const row = page.getByRole('row').filter({ has: payments });
  await expect(row).toContainText('(RPO 15m)');
  await expect(row).toContainText('payments-team');
  await expect(row).toContainText('critical');
  await expect(row).toContainText('commerce');
  await screenshot(page, 'dr-overview');

  // Backstage UI's Select: a button named by its value and label, a listbox of options
  await page.getByRole('button', { name: /Tier$/ }).click();
  await page.getByRole('option', { name: 'critical' }).click();
  await expect(page.getByRole('link', { name: 'orders-api' })).toHaveCount(0);
  await expect(payments).toBeVisible();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('shipshape-dr-overview.csv');
  const csv = fs.readFileSync((await download.path())!, 'utf8').split('\r\n');
  expect(csv[0]).toMatch(/^entity,owner,tier,system,grade,/);
  expect(csv.filter(l => l.startsWith('component:default/'))).toEqual([
    expect.stringMatching(
      /^component:default\/payments-api,group:default\/payments-team,critical,system:default\/commerce,/,
    ),
  ]);
  await screenshot(page, 'dr-overview-critical');

  await payments.click();
  await expect(page).toHaveURL(/\/catalog\/default\/component\/payments-api$/);
});
