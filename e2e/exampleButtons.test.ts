import { expect, Page, test } from '@playwright/test';
import { expectAccessible, openAsGuest, screenshot } from './helpers';

/**
 * Every Shipshape button on the example components' pages, pressed as the demo's guest (a member
 * of payments-team) on the portal with the local stack's config and credentials, as `./run start`
 * serves it: each does what it says, and no Shipshape request answers 5xx on the way.
 */

/** Buttons of stock Backstage parts of the entity page, not Shipshape's. */
const STOCK = new Set(['Add to favorites', 'More actions', 'Refresh', '']);

/** The names of the buttons on the Overview tab: text as written (not as CSS shows it). */
async function buttonNames(page: Page): Promise<string[]> {
  return page
    .locator('main button, main [role=button]')
    .evaluateAll(els =>
      els.map(e =>
        (e.getAttribute('aria-label') ?? e.textContent ?? '').trim(),
      ),
    );
}

/** Records every Shipshape API answer of 500 or more while the page is open. */
function serverErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('response', res => {
    if (res.url().includes('/api/shipshape/') && res.status() >= 500) {
      errors.push(`${res.status()} ${res.request().method()} ${res.url()}`);
    }
  });
  return errors;
}

/** Opens the entity page and checks which Shipshape buttons it offers, exactly. */
async function openWithButtons(page: Page, name: string, expected: string[]) {
  await openAsGuest(page, `/catalog/default/component/${name}`);
  await expect(
    page.getByRole('region', { name: 'environment staging' }),
  ).toBeVisible();
  await expect(page.getByText('DR Readiness')).toBeVisible();
  await expect
    .poll(
      async () =>
        (await buttonNames(page)).filter(n => !STOCK.has(n) && n !== 'Edit'),
      {
        message: `the Shipshape buttons on ${name} (one this test does not press fails it)`,
      },
    )
    .toEqual(expected);
}

/** Deploy history opens, names each environment's releases, and every operation log opens. */
async function deployHistory(page: Page) {
  await page.getByRole('button', { name: 'Deploy history' }).click();
  await expect(
    page.getByRole('button', { name: 'Hide deploy history' }),
  ).toBeVisible();
  for (const env of ['staging', 'production']) {
    await expect(
      page.getByText(new RegExp(`^${env} · `)).first(),
    ).toBeVisible();
  }
  const logs = page.getByRole('button', { name: 'Operation log' });
  for (let i = (await logs.count()) - 1; i >= 0; i--) {
    await logs.nth(i).click();
  }
  await expect(page.getByRole('button', { name: 'Operation log' })).toHaveCount(
    0,
  );
  await expect(page.getByText(/Request failed/)).toHaveCount(0);
}

test('every Shipshape button on payments-api works for its owner', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const errors = serverErrors(page);
  await openWithButtons(page, 'payments-api', [
    'Deploy history',
    'Back up now',
    'Run restore drill',
  ]);
  // Deploy opens the deploy template: a link that looks like a button
  await expect(
    page.getByRole('link', { name: 'Deploy', exact: true }),
  ).toBeVisible();
  await deployHistory(page);

  // Back up now: a pg_dump of the stack's payments database to its S3 with the stack's keys
  const backUp = page.getByRole('button', { name: 'Back up now' });
  await expect(backUp).toBeEnabled();
  await backUp.click();
  const backedUp = page.getByText(/^Backup [0-9a-f-]{36} (verified|failed.*)$/);
  await expect(backedUp).toBeVisible({ timeout: 90_000 });
  expect(await backedUp.textContent()).toMatch(/ verified$/);

  // Run restore drill: that backup restored into a temporary database and compared
  const drill = page.getByRole('button', { name: 'Run restore drill' });
  await expect(drill).toBeEnabled();
  await drill.click();
  // its end: 'passed' (or 'succeeded', the operation's own word), or 'failed …' with the reason
  const drilled = page.getByText(
    /^Restore drill [0-9a-f-]{36} (passed|succeeded|failed.*)$/,
  );
  await expect(drilled).toBeVisible({ timeout: 90_000 });
  expect(await drilled.textContent()).toMatch(/ (passed|succeeded)$/);
  await page.getByText('DR Readiness').scrollIntoViewIfNeeded();
  await screenshot(page, 'example-buttons-payments-api');

  // Deploy: the day-2 wizard for this service; the tag staging runs now, so the deploy is real
  // (the Deployment patched and followed by the operator token) and leaves the demo as it was
  const staging = page.getByRole('region', { name: 'environment staging' });
  const revText = (await staging
    .getByText(/^rev \d+ \(/)
    .first()
    .textContent())!;
  const [, rev, tag] = /^rev (\d+) \((.+)\)$/.exec(revText)!;
  await page.getByRole('link', { name: 'Deploy', exact: true }).click();
  await expect(page).toHaveURL(/shipshape-deploy-service.*payments-api/);
  await page.getByLabel(/Image tag/).fill(tag);
  await page.getByLabel(/Reason/).fill('every button of the example');
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(
    page.getByText(`Outcome: succeeded, revision ${rev} → ${rev}.`),
  ).toBeVisible({ timeout: 120_000 });

  // the three operations are on the Activity tab, by the guest
  await page.goto('/catalog/default/component/payments-api/activity');
  const rows = page.getByRole('row');
  await expect(
    rows.filter({ hasText: 'every button of the example' }),
  ).toHaveCount(1);
  await expect(
    rows.filter({ hasText: /^.*Backup.*guest.*succeeded/ }).first(),
  ).toBeVisible();
  await expectAccessible(page, 'example-buttons-activity');
  expect(errors).toEqual([]);
});

test('every Shipshape button on orders-api and legacy-billing works for a non-owner', async ({
  page,
}) => {
  const errors = serverErrors(page);
  // orders-api: the guest is not in orders-team; its backups are offered, refused in the card
  await openWithButtons(page, 'orders-api', [
    'Deploy history',
    'Back up now',
    'Run restore drill',
  ]);
  await expect(
    page.getByRole('link', { name: 'Deploy', exact: true }),
  ).toHaveCount(0);
  await expect(
    page.getByRole('button', { name: 'Back up now' }),
  ).toBeDisabled();
  await expect(page.getByText('You may not back up this entity')).toBeVisible();
  await deployHistory(page);
  await expectAccessible(page, 'example-buttons-orders-api');

  // legacy-billing: no backup target, so only the deploy history
  await openWithButtons(page, 'legacy-billing', ['Deploy history']);
  await deployHistory(page);
  await expectAccessible(page, 'example-buttons-legacy-billing');
  expect(errors).toEqual([]);
});
