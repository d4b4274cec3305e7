import { expect, test } from '@playwright/test';
import fs from 'fs';
import path from 'path';
import { SCREENSHOTS, inDarkTheme, openAsGuest, screenshot } from './helpers';

/** The local stack's endpoints; fails (never skips) when the stack is not up. */
function stack() {
  const file = path.resolve(__dirname, '../.stack/stack.json');
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: run \`./run stack up\``);
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as {
    prometheus: { url: string };
    exporter: { controlUrl: string };
  };
}

async function steer(controlUrl: string, body: object) {
  const res = await fetch(controlUrl, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  expect(res.ok).toBe(true);
}

test('the fast-burning orders-api shows its firing alert and a near-empty budget', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const { prometheus, exporter } = stack();
  const before = await (await fetch(exporter.controlUrl)).json();
  const orders = (before as { services: any[] }).services.find(
    s => s.service === 'orders-api',
  );
  // orders-api burns fast: 5 % of requests fail (50x the 0.1 % budget)
  await steer(exporter.controlUrl, { service: 'orders-api', errorRatio: 0.05 });
  try {
    await expect
      .poll(
        async () => {
          const q = encodeURIComponent(
            'ALERTS{alertname="ShipshapeHighErrorRate",service="orders-api",alertstate="firing"}',
          );
          const r = await (
            await fetch(`${prometheus.url}/api/v1/query?query=${q}`)
          ).json();
          return (r as any).data.result.length;
        },
        { timeout: 60_000 },
      )
      .toBe(1);

    await openAsGuest(page, '/catalog/default/component/orders-api');
    const card = page.getByTestId('slo-availability');
    await expect(card).toBeVisible({ timeout: 30_000 });
    // the backend caches Prometheus answers 15 s and the card refreshes every 30 s
    await expect(
      page.getByText(/ShipshapeHighErrorRate firing/).first(),
    ).toBeVisible({
      timeout: 50_000,
    });
    const budget = await card
      .getByText(/of the error budget left|Budget exhausted/)
      .textContent();
    const left = Number(/(-?[\d.]+)%/.exec(budget ?? '')?.[1]);
    expect(left).toBeLessThan(25);
    await expect(card.getByText(/^5m [\d.]+x( over| paging)?$/)).toBeVisible();
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, 'slo-orders-api');
    await page
      .locator('.bui-Card', {
        has: page.getByText('SLOs and error budgets'),
      })
      .last()
      .screenshot({ path: path.join(SCREENSHOTS, 'slo-card-orders-api.png') });
  } finally {
    await steer(exporter.controlUrl, {
      service: 'orders-api',
      errorRatio: orders?.errorRatio ?? 0.0008,
    });
  }
});

test('payments-api shows the three SLOs of its OpenSLO file', async ({
  page,
}) => {
  await openAsGuest(page, '/catalog/default/component/payments-api');
  for (const name of ['availability', 'latency-p99', 'latency-p90']) {
    await expect(page.getByTestId(`slo-${name}`)).toBeVisible({
      timeout: 30_000,
    });
  }
  await expect(
    page.getByTestId('slo-availability').getByText(/of the error budget left/),
  ).toBeVisible();
  // the compact budget chart (recharts, loaded after the numbers) draws its line (a path, not
  // toBeVisible: a flat line's box has no height, which Playwright calls hidden)
  await expect(
    page
      .getByTestId('slo-availability')
      .getByRole('img', { name: /error budget remaining, day by day over/ })
      .locator('path.recharts-line-curve'),
  ).toHaveAttribute('d', /^M[\d.]+,[\d.]+L/);
  // The chart ends at the card's figure and burns down (payments-api's 28 days spend about a
  // fifth of its budget): loaded again 6 s apart, so some loads are answered from the backend's
  // 15 s cache in a later time bucket, where the line was once drawn flat at 100 %.
  for (let i = 0; i < 3; i++) {
    if (i > 0) {
      await page.waitForTimeout(6_000);
      await page.reload();
    }
    const block = page.getByTestId('slo-availability');
    const text = await block
      .getByText(/of the error budget left/)
      .textContent({ timeout: 30_000 });
    const left = text!.match(/^(-?[\d.]+%)/)![1];
    const chart = block.getByRole('img', {
      name: new RegExp(`ending at ${left.replace('.', '\\.')}$`),
    });
    const d = await chart
      .locator('path.recharts-line-curve')
      .getAttribute('d', { timeout: 30_000 });
    const ys = [...d!.matchAll(/[ML][\d.]+,([\d.]+)/g)].map(m => Number(m[1]));
    expect(Math.max(...ys) - Math.min(...ys)).toBeGreaterThan(1);
  }
  await page.getByTestId('slo-availability').scrollIntoViewIfNeeded();
  await screenshot(page, 'slo-payments-api');
  await page
    .locator('.bui-Card', { has: page.getByText('SLOs and error budgets') })
    .last()
    .screenshot({ path: path.join(SCREENSHOTS, 'slo-card-payments-api.png') });
});

test('the SLO card in the dark theme', async ({ page }) => {
  await inDarkTheme(page);
  await openAsGuest(page, '/catalog/default/component/payments-api');
  const block = page.getByTestId('slo-availability');
  await expect(
    block
      .getByRole('img', { name: /error budget remaining, day by day over/ })
      .locator('path.recharts-line-curve'),
  ).toHaveAttribute('d', /^M[\d.]+,[\d.]+L/, { timeout: 30_000 });
  await block.scrollIntoViewIfNeeded();
  await screenshot(page, 'slo-payments-api-dark');
  await page
    .locator('.bui-Card', { has: page.getByText('SLOs and error budgets') })
    .last()
    .screenshot({
      path: path.join(SCREENSHOTS, 'slo-card-payments-api-dark.png'),
    });
});

test('the SLO burn page lists the catalog SLOs, fastest burn first', async ({
  page,
}) => {
  await openAsGuest(page, '/shipshape/slos');
  const table = page.getByRole('grid', { name: 'SLOs by burn rate' });
  await expect(
    table.getByRole('link', { name: 'payments-api' }).first(),
  ).toBeVisible({
    timeout: 30_000,
  });
  await expect(
    table.getByRole('link', { name: 'orders-api' }).first(),
  ).toBeVisible();
  await screenshot(page, 'slo-burn-page');
});
