import { expect, Page, test } from '@playwright/test';
import fs from 'fs';
import path from 'path';
import { inDarkTheme, openAsGuest, screenshot } from './helpers';

/**
 * The views of a portal with no shipshape.* configuration, in the built app: every Shipshape
 * GET that plugins/shipshape/src/__fixtures__/unconfiguredBackend.json recorded (the real plugin
 * started with empty config; packages/backend/src/unconfiguredAnswers.test.ts keeps it so) is
 * answered from there, the rest by the running portal. orders-api is in the example catalog.
 */
const recorded: Record<string, { status: number; body: unknown }> = JSON.parse(
  fs.readFileSync(
    path.resolve(
      __dirname,
      '../plugins/shipshape/src/__fixtures__/unconfiguredBackend.json',
    ),
    'utf8',
  ),
);

/** The "Not configured" hint's link to the configuration help page (no shipshape.docsUrl here). */
const HELP_LINK =
  'How to configure it (example on the Shipshape configuration page)';

async function withoutShipshapeConfig(page: Page) {
  await page.route('**/api/shipshape/**', async route => {
    const { pathname } = new URL(route.request().url());
    const answer =
      route.request().method() === 'GET' &&
      recorded[pathname.replace(/^\/api\/shipshape/, '')];
    if (!answer) return route.fallback();
    return route.fulfill({
      status: answer.status,
      contentType: 'application/json',
      body: JSON.stringify(answer.body),
    });
  });
}

test('the DR Readiness card without backup targets names the key once; its link opens the configuration page at the key', async ({
  page,
}) => {
  await withoutShipshapeConfig(page);
  await openAsGuest(page, '/catalog/default/component/orders-api');
  const card = page
    .locator('.bui-Card')
    .filter({ hasText: 'DR Readiness' })
    .first();
  await expect(
    card.getByText('Not configured: shipshape.backup.targets'),
  ).toBeVisible();
  const help = card.getByRole('link', { name: HELP_LINK });
  await expect(help).toHaveAttribute(
    'href',
    '/shipshape/configuration#shipshape.backup.targets',
  );
  await expect(card.getByText(/Unknown environment 'production'/)).toHaveCount(
    1,
  );
  await card.scrollIntoViewIfNeeded();
  await screenshot(page, 'unconfigured-dr-readiness');
  await card.screenshot({
    path: path.resolve(
      __dirname,
      '../test-results/screenshots/unconfigured-dr-readiness-card.png',
    ),
  });

  // the hint's link opens the configuration help page at the key's entry, with its example
  await help.click();
  await expect(page).toHaveURL(
    /\/shipshape\/configuration#shipshape\.backup\.targets$/,
  );
  const entry = page.getByRole('region', { name: 'shipshape.backup.targets' });
  await expect(entry).toBeInViewport();
  await expect(entry).toBeFocused();
  await expect(entry.locator('pre')).toContainText('targets:');
  await screenshot(page, 'unconfigured-configuration-page');
  await entry.screenshot({
    path: path.resolve(
      __dirname,
      '../test-results/screenshots/unconfigured-configuration-entry.png',
    ),
  });
});

test('the DR overview without backup targets says which key to set above its rows', async ({
  page,
}) => {
  await withoutShipshapeConfig(page);
  await openAsGuest(page, '/shipshape/dr');
  await expect(
    page.getByText('Not configured: shipshape.backup.targets'),
  ).toBeVisible();
  await expect(page.getByRole('link', { name: 'orders-api' })).toBeVisible();
  await screenshot(page, 'unconfigured-dr-overview');
});

test('the Ownership page without environments says which key to set for cost', async ({
  page,
}) => {
  await withoutShipshapeConfig(page);
  await openAsGuest(page, '/shipshape/ownership');
  await expect(page.getByText('Cost: no cluster configured')).toBeVisible();
  await expect(
    page.getByText('Not configured: shipshape.environments'),
  ).toBeVisible();
  await expect(
    page.getByRole('alert').getByRole('link', { name: HELP_LINK }),
  ).toHaveAttribute('href', '/shipshape/configuration#shipshape.environments');
  await screenshot(page, 'unconfigured-ownership');
});

test('the configuration help page opened at a key (a shared link, dark theme) shows that entry', async ({
  page,
}) => {
  await inDarkTheme(page);
  await openAsGuest(
    page,
    '/shipshape/configuration#shipshape.prometheus.instances',
  );
  const entry = page.getByRole('region', {
    name: 'shipshape.prometheus.instances',
  });
  await expect(entry).toBeInViewport();
  await expect(entry.locator('pre')).toContainText(
    'url: https://prometheus.example.com',
  );
  await screenshot(page, 'configuration-page-dark');
});
