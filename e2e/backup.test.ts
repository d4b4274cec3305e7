import { expect, test } from '@playwright/test';
import { screenshot, signInAsGuest } from './helpers';

test('the DR Readiness card shows the rules and backs up payments-api', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/catalog/default/component/payments-api');
  await expect(page.getByText('DR Readiness')).toBeVisible();
  await expect(page.getByText('Target payments-db (s3)')).toBeVisible();
  await expect(
    page.getByText(/RPO .* RTO .* declared|RPO\/RTO not declared/),
  ).toBeVisible();
  const button = page.getByRole('button', { name: 'Back up now' });
  await expect(button).toBeVisible();
  if (await button.isEnabled()) {
    await button.click();
    await expect(page.getByText(/^Backup [0-9a-f-]+ started$/)).toBeVisible();
  }
  // A drill of the newest verified backup (the real backend restores it into a temporary
  // database on the stack's PostgreSQL), then the card after a reload.
  const drill = page.getByRole('button', { name: 'Run restore drill' });
  // Enabled once a verified backup is listed (the one just started takes a second or two).
  for (let i = 0; i < 20 && !(await drill.isEnabled()); i++) {
    await page.waitForTimeout(1000);
    await page.reload();
    await expect(page.getByText('Target payments-db (s3)')).toBeVisible();
  }
  await expect(drill).toBeEnabled();
  await drill.click();
  await expect(
    page.getByText(/^Restore drill [0-9a-f-]+ started$/),
  ).toBeVisible();
  await page.waitForTimeout(3000);
  await page.reload();
  await expect(page.getByText(/Last restore drill passed/)).toBeVisible();
  await page.getByText('DR Readiness').scrollIntoViewIfNeeded();
  await screenshot(page, 'dr-readiness-payments-api');
});
