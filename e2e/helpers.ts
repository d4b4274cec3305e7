import { expect, Page } from '@playwright/test';
import path from 'path';

/** Where every run leaves a screenshot of each page it visits (the README shows one). */
export const SCREENSHOTS = path.resolve(
  __dirname,
  '../test-results/screenshots',
);

export async function signInAsGuest(page: Page) {
  await page.goto('/');
  const enter = page.getByRole('button', { name: 'Enter' });
  const nav = page.getByRole('link', { name: 'Catalog', exact: true }).first();
  await expect(enter.or(nav)).toBeVisible();
  if (await enter.isVisible()) await enter.click();
  await expect(enter).toHaveCount(0);
  await expect(nav).toBeVisible();
}

/** Signs in as the guest and opens `path` (e.g. an entity page, /catalog/default/component/x). */
export async function openAsGuest(page: Page, path: string) {
  await signInAsGuest(page);
  await page.goto(path);
}

export async function screenshot(page: Page, name: string) {
  await page.screenshot({
    path: path.join(SCREENSHOTS, `${name}.png`),
    fullPage: true,
  });
}
