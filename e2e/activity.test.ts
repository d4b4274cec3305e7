import { expect, test } from '@playwright/test';
import { inDarkTheme, openAsGuest, screenshot, signInAsGuest } from './helpers';

// The entity's Activity tab: a backup started from the DR card is listed with who, what, where,
// when and its outcome, and its log opens from its link (a URL that can be shared).
test('the Activity tab lists a backup started from the DR card, with its log', async ({
  page,
}) => {
  test.setTimeout(150_000);
  await signInAsGuest(page);
  await page.goto('/catalog/default/component/payments-api');
  const button = page.getByRole('button', { name: 'Back up now' });
  await expect(button).toBeEnabled();
  await button.click();
  const backedUp = page.getByText(/^Backup [0-9a-f-]{36} (verified|failed.*)$/);
  await expect(backedUp).toBeVisible({ timeout: 60_000 });
  const backupId = (await backedUp.textContent())!.split(' ')[1];

  await page.getByRole('link', { name: 'Activity', exact: true }).click();
  await expect(page).toHaveURL(
    /\/catalog\/default\/component\/payments-api\/activity$/,
  );
  const table = page.getByRole('table', { name: 'operations, newest first' });
  await expect(table).toBeVisible();
  const row = table.getByRole('row').nth(1); // newest first: the backup just made
  await expect(row).toContainText('Backup');
  await expect(row).toContainText('target payments-db');
  await expect(row).toContainText('guest');
  await expect(row).toContainText('succeeded');
  await expect(page.getByText(/^1–\d+ of \d+$/)).toBeVisible();

  await row.getByRole('link', { name: /^Log of Backup/ }).click();
  await expect(page).toHaveURL(new RegExp(`\\?operation=${backupId}$`));
  const log = page.getByRole('list', { name: `log of operation ${backupId}` });
  await expect(log).toBeVisible();
  await expect(log.getByRole('listitem').first()).toBeVisible();
  await screenshot(page, 'activity-payments-api');

  // the link is a place: opened directly, the same log is there
  await page.reload();
  await expect(
    page.getByRole('list', { name: `log of operation ${backupId}` }),
  ).toBeVisible();
});

test('the Activity tab in the dark theme', async ({ page }) => {
  await inDarkTheme(page);
  await openAsGuest(page, '/catalog/default/component/payments-api/activity');
  await expect(
    page
      .getByRole('table', { name: 'operations, newest first' })
      .or(page.getByText(/^No operations yet\./)),
  ).toBeVisible();
  await screenshot(page, 'activity-payments-api-dark');
});
