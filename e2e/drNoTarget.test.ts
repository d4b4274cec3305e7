import { expect, test } from '@playwright/test';
import { openAsGuest, screenshot } from './helpers';

// legacy-billing names no backup target: the DR Readiness card shows on it anyway (every
// service has one), says so in red and gives the fix with the targets this portal configures.
test('the DR Readiness card of a service without a backup target says so, with the fix', async ({
  page,
}) => {
  await openAsGuest(page, '/catalog/default/component/legacy-billing');
  await expect(page.getByText('DR Readiness', { exact: true })).toBeVisible();
  await expect(
    page.getByText('No backup target', { exact: true }),
  ).toBeVisible();
  const checks = page.getByRole('table', { name: 'DR readiness checks' });
  const target = checks
    .getByRole('row')
    .filter({ hasText: 'No backup target named' });
  await expect(target).toBeVisible();
  await expect(target).toContainText(
    /Fix: Set shipshape\.dev\/backup-target to a target from app-config shipshape\.backup\.targets \(configured: [a-z0-9-]+(, [a-z0-9-]+)*\)/,
  );
  // nothing to back up: no buttons
  await expect(page.getByRole('button', { name: 'Back up now' })).toHaveCount(
    0,
  );
  await target.scrollIntoViewIfNeeded();
  await screenshot(page, 'dr-no-backup-target');
});
