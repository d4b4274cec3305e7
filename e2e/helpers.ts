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

export async function screenshot(page: Page, name: string) {
  await page.screenshot({
    path: path.join(SCREENSHOTS, `${name}.png`),
    fullPage: true,
  });
}
