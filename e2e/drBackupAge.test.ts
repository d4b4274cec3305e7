import { expect, test } from '@playwright/test';
import path from 'path';
import { inDarkTheme, openAsGuest, screenshot, SCREENSHOTS } from './helpers';

// The DR tab: the readiness card, then the newest verified backup's age over the last 7 days
// against the RPO, drawn from the backend's backup records (a fresh portal has none).

test('the DR tab tells a service without a verified backup what to do', async ({
  page,
}) => {
  await openAsGuest(page, '/catalog/default/component/orders-api/dr');
  await expect(page.getByText('Backup age against the RPO')).toBeVisible();
  await expect(
    page.getByText('No verified backup of orders-db in the last 7 days'),
  ).toBeVisible();
  await expect(
    page.getByText(/Press Back up now on the DR readiness card/),
  ).toBeVisible();
  await screenshot(page, 'dr-tab-no-backups');
});

test('the DR tab draws the backup age against the RPO after a backup', async ({
  page,
}) => {
  await openAsGuest(page, '/catalog/default/component/payments-api/dr');
  const button = page.getByRole('button', { name: 'Back up now' });
  await expect(button).toBeEnabled();
  await button.click();
  const backedUp = page.getByText(/^Backup [0-9a-f-]{36} (verified|failed.*)$/);
  await expect(backedUp).toBeVisible({ timeout: 60_000 });
  expect(await backedUp.textContent()).toMatch(/ verified$/);
  // the chart is read again when the backup ends (signals), without a reload
  const chart = page.getByRole('img', {
    // other browser tests may have backed payments-api up before: at least this one is counted
    name: /^Age of the newest verified backup, last 7 days: The newest backup is [\dhms ]+ old \(within the RPO of \d+m\); at most [\dhms ]+ old \(\d+ \w+\); (never over the RPO|over the RPO for about [\dhms ]+); [1-9]\d* backups? verified and (none|\d+) failed in the last 7 days; no backup known before \d+ \w+\.$/,
  });
  await expect(chart).toBeVisible();
  // the RPO line, and the points with data drawn as dots (a gap before them, no line to 0)
  const figure = page
    .getByRole('figure')
    .filter({ hasText: 'Age of the newest verified backup' });
  await expect(figure.locator('.recharts-reference-line')).toHaveCount(1);
  // (a point alone between gaps is a dot; the backups of this run may also fall in two of the
  // chart's 84-minute steps, then a line joins them)
  const drawn = await figure.evaluate(
    f =>
      f.querySelectorAll('.recharts-line-dots circle').length > 0 ||
      /L/.test(
        f.querySelector('.recharts-line-curve')?.getAttribute('d') ?? '',
      ),
  );
  expect(drawn).toBe(true);
  await screenshot(page, 'dr-tab-backup-age');
  await figure.screenshot({
    path: path.join(SCREENSHOTS, 'dr-backup-age-chart.png'),
  });
});

test('the DR tab in the dark theme', async ({ page }) => {
  await inDarkTheme(page);
  await openAsGuest(page, '/catalog/default/component/payments-api/dr');
  const figure = page
    .getByRole('figure')
    .filter({ hasText: 'Age of the newest verified backup' });
  await expect(figure.locator('.recharts-reference-line')).toHaveCount(1);
  await screenshot(page, 'dr-tab-backup-age-dark');
  await figure.screenshot({
    path: path.join(SCREENSHOTS, 'dr-backup-age-chart-dark.png'),
  });
});
