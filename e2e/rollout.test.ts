import { expect, test } from '@playwright/test';
import {
  expectAccessible,
  guestToken,
  openAsGuest,
  screenshot,
} from './helpers';

test('the healthy service shows its rollout in staging and production', async ({
  page,
}) => {
  await openAsGuest(page, '/catalog/default/component/payments-api');
  for (const env of ['staging', 'production']) {
    const section = page.getByRole('region', { name: `environment ${env}` });
    await expect(section).toBeVisible();
    await expect(section.getByText(`local/${env}`)).toBeVisible();
    await expect(section.getByText(/^3\/3\/3 of 3$/)).toBeVisible();
    await expect(section.getByText(/^rev \d+ \(1\.4\.2\)$/)).toBeVisible();
  }
  // The guest owns payments-api (payments-team), so the card offers Deploy.
  await expect(
    page.getByRole('link', { name: 'Deploy', exact: true }),
  ).toBeVisible();
  await page
    .getByRole('region', { name: 'environment staging' })
    .scrollIntoViewIfNeeded();
  await screenshot(page, 'rollout-payments-api');

  // The Rollout tab lists every pod.
  await page
    .getByRole('navigation', { name: 'Content navigation' })
    .getByRole('link', { name: 'Rollout' })
    .click();
  await expect(page).toHaveURL(/\/rollout$/);
  const pods = page
    .getByRole('region', { name: 'environment production' })
    .getByRole('list', { name: 'pods of payments-api' });
  await expect(pods.getByRole('listitem')).toHaveCount(3);
  await expect(pods.getByRole('listitem').first()).toContainText(
    'current revision · ready · 0 restarts',
  );
  await screenshot(page, 'rollout-tab-payments-api');
});

test('Deploy is reached and pressed with the keyboard alone', async ({
  page,
}) => {
  await openAsGuest(page, '/catalog/default/component/payments-api');
  const deploy = page.getByRole('link', { name: 'Deploy', exact: true });
  await expect(deploy).toBeVisible();
  let reached = false;
  for (let i = 0; i < 150 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await deploy.evaluate(el => el === document.activeElement);
  }
  expect(reached).toBe(true);
  await expect(deploy).toBeFocused();
  await expectAccessible(page, 'rollout-keyboard-payments-api');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(
    /\/create\/templates\/default\/shipshape-deploy-service/,
  );
});

test('a non-owner is refused a deploy, in the card and by the backend', async ({
  page,
  request,
}) => {
  await openAsGuest(page, '/catalog/default/component/orders-api');
  await expect(
    page.getByRole('region', { name: 'environment staging' }),
  ).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'Deploy', exact: true }),
  ).toHaveCount(0);
  await expectAccessible(page, 'rollout-non-owner-orders-api');

  const token = await guestToken(request);
  const refused = await request.post(
    '/api/shipshape/entities/component/default/orders-api/deploy',
    {
      headers: { Authorization: `Bearer ${token}` },
      data: { environment: 'staging', tag: '2.1.1', dryRun: true },
    },
  );
  expect(refused.status()).toBe(403);
  expect((await refused.json()).error.message).toBe(
    'You may not deploy component:default/orders-api (permission shipshape.operation.deploy)',
  );
  // The owner's own service: the same request is allowed (a dry run changes nothing).
  const allowed = await request.post(
    '/api/shipshape/entities/component/default/payments-api/deploy',
    {
      headers: { Authorization: `Bearer ${token}` },
      data: { environment: 'staging', tag: '1.4.3', dryRun: true },
    },
  );
  expect(allowed.status()).toBe(200);
  expect((await allowed.json()).changes[0].toImage).toBe(
    'registry.example.test/shipshape/payments-api:1.4.3',
  );
});

test('the deploy template deploys a new tag and the card moves to the new revision', async ({
  page,
  request,
}) => {
  test.setTimeout(180_000);
  const tag = `1.4.3-e2e.${Date.now()}`;
  await openAsGuest(page, '/catalog/default/component/payments-api');
  const staging = page.getByRole('region', { name: 'environment staging' });
  const revText = await staging
    .getByText(/^rev \d+ \(/)
    .first()
    .textContent();
  const before = Number(/rev (\d+)/.exec(revText ?? '')![1]);

  await page.getByRole('link', { name: 'Deploy', exact: true }).click();
  await expect(page).toHaveURL(/shipshape-deploy-service/);
  await page.getByLabel(/Image tag/).fill(tag);
  await page.getByLabel(/Reason/).fill('e2e deploy');
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(
    page.getByText('Outcome: succeeded', { exact: false }),
  ).toBeVisible({
    timeout: 120_000,
  });
  await screenshot(page, 'rollout-deploy-template', {
    skip: 'the stock scaffolder task page (its log viewer fails aria rules)',
  });

  await page.goto('/catalog/default/component/payments-api');
  await expect(staging.getByText(`rev ${before + 1} (${tag})`)).toBeVisible();
  await expect(staging.getByText(/deploy succeeded/)).toBeVisible();
  await staging.scrollIntoViewIfNeeded();
  await screenshot(page, 'rollout-payments-api-after-deploy');

  // Put the demo back on its release (a rollback through the same API).
  const token = await guestToken(request);
  const back = await request.post(
    '/api/shipshape/entities/component/default/payments-api/rollback',
    {
      headers: { Authorization: `Bearer ${token}` },
      data: { environment: 'staging', revision: before, reason: 'e2e cleanup' },
    },
  );
  expect(back.status()).toBe(202);
  const id = (await back.json()).id;
  await expect
    .poll(
      async () =>
        (
          await (
            await request.get(`/api/shipshape/operations/${id}`, {
              headers: { Authorization: `Bearer ${token}` },
            })
          ).json()
        ).status,
      { timeout: 60_000 },
    )
    .toBe('succeeded');
});
