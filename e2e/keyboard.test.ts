import { expect, Locator, Page, test } from '@playwright/test';
import { expectAccessible, openAsGuest } from './helpers';

/**
 * Shipshape's controls used with the keyboard alone: Tab and Shift+Tab to reach them, Enter or
 * Space to use them, no mouse click. (Deploy is in rollout.test.) Each view is audited (axe) in
 * the state the keyboard brought it to.
 */

/** Presses Tab (or Shift+Tab) until `target` has the focus; fails if it never does. */
async function tabTo(page: Page, target: Locator, key = 'Tab', max = 200) {
  await expect(target).toBeVisible();
  for (let i = 0; i < max; i++) {
    if (await target.evaluate(el => el === document.activeElement)) return;
    await page.keyboard.press(key);
  }
  await expect(
    target,
    `reached with ${key} within ${max} presses`,
  ).toBeFocused();
}

const tab = (page: Page, name: string) =>
  page
    .getByRole('navigation', { name: 'Content navigation' })
    .getByRole('link', { name, exact: true });

test('Back up now is reached and pressed with the keyboard, and its outcome is announced', async ({
  page,
}) => {
  test.setTimeout(150_000);
  await openAsGuest(page, '/catalog/default/component/payments-api');
  const button = page.getByRole('button', { name: 'Back up now' });
  await expect(button).toBeEnabled({ timeout: 30_000 });
  await tabTo(page, button);
  await page.keyboard.press('Space');
  // the outcome is in a live region (role=status), so a screen reader says it when it changes
  const status = page.getByRole('status').filter({ hasText: /^Backup / });
  await expect(status).toHaveText(/^Backup [0-9a-f-]{36} (started|verified)/);
  await expect(status).toHaveText(/^Backup [0-9a-f-]{36} verified$/, {
    timeout: 90_000,
  });
  // the button is usable again, and the keyboard user is still on it
  await expect(button).toBeEnabled();
  await expect(button).toBeFocused();
  await expectAccessible(page, 'keyboard-back-up-now');
});

test('Deploy history opens and closes with the keyboard, the focus stays on its button', async ({
  page,
}) => {
  await openAsGuest(page, '/catalog/default/component/payments-api');
  const toggle = page.getByRole('button', { name: 'Deploy history' });
  await tabTo(page, toggle);
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await page.keyboard.press('Enter');
  const hide = page.getByRole('button', { name: 'Hide deploy history' });
  await expect(hide).toHaveAttribute('aria-expanded', 'true');
  await expect(hide).toBeFocused();
  const releases = page.getByRole('region', { name: 'deploy history staging' });
  await expect(releases).toBeVisible();
  await expectAccessible(page, 'keyboard-deploy-history-open');
  // away from it and back with Shift+Tab, then closed with Space
  await page.keyboard.press('Tab');
  await expect(hide).not.toBeFocused();
  await tabTo(page, hide, 'Shift+Tab', 20);
  await page.keyboard.press('Space');
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(toggle).toBeFocused();
  await expect(releases).toHaveCount(0);
});

test("the Activity tab and an operation's log are reached with the keyboard", async ({
  page,
}) => {
  await openAsGuest(page, '/catalog/default/component/payments-api');
  await tabTo(page, tab(page, 'Activity'));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/payments-api\/activity$/);
  const table = page.getByRole('table', { name: 'operations, newest first' });
  const log = table.getByRole('link', { name: /^Log of / }).first();
  await tabTo(page, log);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/activity\?operation=[0-9a-f-]{36}$/);
  const id = new URL(page.url()).searchParams.get('operation');
  await expect(
    page.getByRole('list', { name: `log of operation ${id}` }),
  ).toBeVisible();
  // the focus stays on the link, which now hides the log
  const hide = table.getByRole('link', { name: /^Hide log of / });
  await expect(hide).toBeFocused();
  await expectAccessible(page, 'keyboard-activity-log');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/activity\?$|\/activity$/);
  await expect(
    page.getByRole('list', { name: `log of operation ${id}` }),
  ).toHaveCount(0);
});

test("the SLO card's tab is reached with the keyboard, with its charts", async ({
  page,
}) => {
  await openAsGuest(page, '/catalog/default/component/payments-api');
  await expect(page.getByText('SLOs and error budgets')).toBeVisible();
  await tabTo(page, tab(page, 'SLOs'));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/payments-api\/slo$/);
  const section = page.getByRole('region', { name: 'charts of availability' });
  // a drawn path, not toBeVisible: a flat line's box has no height, which Playwright calls hidden
  await expect(section.locator('.recharts-line-curve').first()).toHaveAttribute(
    'd',
    /^M[\d.]+,[\d.]+L/,
    {
      timeout: 30_000,
    },
  );
  await expectAccessible(page, 'keyboard-slo-tab');
});
