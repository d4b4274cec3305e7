import { expect, test } from '@playwright/test';
import { expectAccessible, openAsGuest } from './helpers';

/**
 * Every Shipshape view once, audited when its cards have loaded (the other specs audit the
 * same views at their screenshots, in the states their tests bring about).
 */
const VIEWS: Array<[name: string, path: string, ready: string | RegExp]> = [
  [
    'entity-payments-api',
    '/catalog/default/component/payments-api',
    'SLOs and error budgets',
  ],
  [
    'entity-orders-api',
    '/catalog/default/component/orders-api',
    'SLOs and error budgets',
  ],
  [
    'entity-legacy-billing',
    '/catalog/default/component/legacy-billing',
    'Ownership & Cost',
  ],
  [
    'rollout-tab-payments-api',
    '/catalog/default/component/payments-api/rollout',
    'Rollout status',
  ],
  [
    'slo-tab-payments-api',
    '/catalog/default/component/payments-api/slo',
    'SLOs and error budgets',
  ],
  [
    'slo-tab-charts-payments-api',
    '/catalog/default/component/payments-api/slo',
    'Error budget and burn rate over time',
  ],
  [
    'dr-tab-payments-api',
    '/catalog/default/component/payments-api/dr',
    'DR Readiness',
  ],
  [
    'activity-tab-payments-api',
    '/catalog/default/component/payments-api/activity',
    /^(No operations yet\.|\d+–\d+ of \d+$)/,
  ],
  [
    'dr-overview',
    '/shipshape/dr',
    'services have no verified backup within their RPO',
  ],
  ['slo-burn-page', '/shipshape/slos', 'SLO burn'],
  ['ownership-page', '/shipshape/ownership', 'Ownership & Cost'],
];

for (const [name, path, ready] of VIEWS) {
  test(`${name} has no serious or critical accessibility violation`, async ({
    page,
  }) => {
    await openAsGuest(page, path);
    await expect(page.getByText(ready).first()).toBeVisible({
      timeout: 30_000,
    });
    // every card has answered: no loading bar left (a budget bar has a value)
    await expect(
      page.locator('[role="progressbar"]:not([aria-valuenow])'),
    ).toHaveCount(0, {
      timeout: 30_000,
    });
    await expectAccessible(page, `view-${name}`);
  });
}
