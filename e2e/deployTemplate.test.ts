import { expect, test } from '@playwright/test';
import { openAsGuest, screenshot } from './helpers';

/**
 * A portal that has not registered Shipshape's templates: the demo portal registers them, so the
 * catalog's answer for the deploy template is turned into its 404 here. The Rollout card says
 * what to add instead of a Deploy link to a template the scaffolder cannot load.
 */
test('without the deploy template in the catalog, the Rollout card says to add the templates to catalog.locations and links to its entry', async ({
  page,
}) => {
  let asked = 0;
  await page.route(
    '**/api/catalog/entities/by-name/template/default/shipshape-deploy-service',
    route => {
      asked++;
      return route.fulfill({
        status: 404,
        json: {
          error: {
            name: 'NotFoundError',
            message:
              'No entity named template:default/shipshape-deploy-service found',
          },
        },
      });
    },
  );
  await openAsGuest(page, '/catalog/default/component/payments-api');
  await expect(
    page.getByRole('region', { name: 'environment staging' }),
  ).toBeVisible();
  await expect(
    page.getByText(/^Deploy template not registered:/),
  ).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'Deploy', exact: true }),
  ).toHaveCount(0);
  const help = page.getByRole('link', {
    name: 'add the Shipshape templates to catalog.locations',
  });
  await expect(help).toHaveAttribute(
    'href',
    '/shipshape/configuration#catalog.locations',
  );
  expect(asked).toBe(1);
  await screenshot(page, 'rollout-deploy-template-missing');

  // the entry with the README's example, scrolled to and focused
  await help.click();
  await expect(page).toHaveURL(
    /\/shipshape\/configuration#catalog\.locations$/,
  );
  const entry = page.getByRole('region', { name: 'catalog.locations' });
  await expect(entry).toBeFocused();
  await expect(entry).toContainText(
    'target: ../../node_modules/@shipshape/templates/templates.yaml',
  );
  await screenshot(page, 'configuration-page-catalog-locations');
});
