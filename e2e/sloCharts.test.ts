import { expect, test } from '@playwright/test';
import path from 'path';
import { openAsGuest, screenshot, SCREENSHOTS } from './helpers';

// The SLO tab's charts over time, drawn from the backend's range queries on the stack's
// Prometheus: the budget left over the window and the burn rate of each alert window with its
// threshold, each with its numbers in words.
test('the SLO tab draws the error budget over the window and the burn rate per alert window', async ({
  page,
}) => {
  await openAsGuest(page, '/catalog/default/component/payments-api/slo');
  const section = page.getByRole('region', { name: 'charts of availability' });
  await expect(section).toBeVisible({ timeout: 30_000 });
  await expect(
    section.getByRole('img', {
      name: /^Error budget left over 28d: -?[\d.]+% left now/,
    }),
  ).toBeVisible();
  for (const w of ['1h', '6h', '1d', '3d']) {
    await expect(
      section.getByRole('img', {
        name: new RegExp(`^Burn rate over ${w}, last 3 days: `),
      }),
    ).toBeVisible();
  }
  // the lines are drawn (SVG paths), and the threshold lines
  // a drawn path, not toBeVisible: a flat line's box has no height, which Playwright calls hidden
  await expect(section.locator('.recharts-line-curve').first()).toHaveAttribute(
    'd',
    /^M[\d.]+,[\d.]+L/,
  );
  await expect(section.locator('.recharts-reference-line')).toHaveCount(5);
  await section.scrollIntoViewIfNeeded();
  await screenshot(page, 'slo-charts-payments-api');
  // the budget chart alone: its 'budget spent' label sits above the zero
  // line, clear of the x axis' last date
  await section
    .getByRole('figure')
    .filter({ hasText: 'Error budget left over' })
    .screenshot({
      path: path.join(SCREENSHOTS, 'slo-budget-chart-payments-api.png'),
    });
});
