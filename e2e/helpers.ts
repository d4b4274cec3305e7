import { expect, Page } from '@playwright/test';
import path from 'path';

/** Where every run leaves a screenshot of each page it visits (the README shows one). */
export const SCREENSHOTS = path.resolve(__dirname, '../test-results/screenshots');

export async function signInAsGuest(page: Page) {
  await page.goto('/');
  const enter = page.getByRole('button', { name: 'Enter' });
  if (await enter.isVisible({ timeout: 15_000 }).catch(() => false)) {
    await enter.click();
  }
  await expect(page.getByRole('navigation', { name: 'sidebar nav' })).toBeVisible();
}

export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
