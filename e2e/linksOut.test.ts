import { expect, test } from '@playwright/test';
import { openAsGuest, screenshot } from './helpers';

// No dead ends on the entity page: the runbook is a link, each SLO links to the Prometheus
// instance configured in app-config (never a URL from the catalog), the overview pages are in
// the sidebar with their icons, and each workload on the Rollout card opens its pods, events and
// logs in the stock Kubernetes tab.
test('the entity page links out: runbook, SLO to Prometheus, overview pages in the sidebar, workload to the Kubernetes tab', async ({
  page,
}) => {
  await openAsGuest(page, '/catalog/default/component/payments-api');

  // the contract card's, and the DR card's runbook check
  for (const name of [
    'https://docs.example.com/payments-api/runbook',
    'Runbook https://docs.example.com/payments-api/runbook (opens in a new tab)',
  ]) {
    await expect(page.getByRole('link', { name, exact: true })).toHaveAttribute(
      'href',
      'https://docs.example.com/payments-api/runbook',
    );
  }

  const slo = page.getByTestId('slo-availability');
  await expect(slo).toBeVisible({ timeout: 30_000 });
  // the stack's Prometheus (shipshape.prometheus.instances[local].url)
  expect(
    await slo.getByRole('link', { name: 'Prometheus' }).getAttribute('href'),
  ).toMatch(/^http:\/\/127\.0\.0\.1:29090\/graph\?g0\.expr=/);

  for (const name of ['SLO burn', 'DR overview', 'Ownership & Cost']) {
    const item = page.getByRole('link', { name });
    await expect(item).toBeVisible();
    await expect(item.locator('svg')).toHaveCount(1);
  }

  const pods = page
    .getByRole('link', { name: 'Pods, events, logs of payments-api' })
    .first();
  await expect(pods).toBeVisible({ timeout: 30_000 });
  await pods.click();
  await expect(page).toHaveURL(
    /\/catalog\/default\/component\/payments-api\/kubernetes$/,
  );
  await expect(page.getByText('Your Clusters')).toBeVisible({
    timeout: 30_000,
  });
  await screenshot(page, 'links-out-kubernetes-tab', {
    skip: 'the stock Kubernetes tab, nothing of Shipshape on it',
  });
});
