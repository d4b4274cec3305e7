import AxeBuilder from '@axe-core/playwright';
import { APIRequestContext, expect, Page } from '@playwright/test';
import { execFileSync } from 'child_process';
import fs from 'fs';
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

/** Signs in as the guest and opens `route` (e.g. an entity page, /catalog/default/component/x). */
export async function openAsGuest(page: Page, route: string) {
  await signInAsGuest(page);
  await page.goto(route);
}

/** The wizard's first step of a golden-path template: name, description, owner payments-team. */
export async function fillServiceStep(page: Page, name: string) {
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await page
    .getByRole('textbox', { name: 'Description' })
    .fill('A service created by the browser test of the golden path');
  const owner = page.getByRole('textbox', { name: 'Owner' });
  await owner.click();
  await owner.fill('payments');
  await page
    .getByRole('option', { name: /payments/i })
    .first()
    .click();
  await expect(owner).toHaveValue(/payments/i);
  // the only System in the catalog is preselected
  await expect(page.getByRole('textbox', { name: 'System' })).toHaveValue(
    'system:default/commerce',
  );
}

/** The guest's Backstage token (the guest is a member of payments-team). */
export async function guestToken(request: APIRequestContext): Promise<string> {
  const res = await request.get('/api/auth/guest/refresh?env=development', {
    headers: { 'X-Requested-With': 'XMLHttpRequest' },
  });
  expect(res.ok()).toBe(true);
  return (await res.json()).backstageIdentity.token;
}

/** Opens the portal in the dark theme (the theme switch in Settings stores it in localStorage). */
export async function inDarkTheme(page: Page) {
  await page.addInitScript(() => window.localStorage.setItem('theme', 'dark'));
}

export interface AuditOptions {
  /** Stock Backstage parts the app cannot fix, each with the reason at the call. */
  exclude?: string[];
  /** Audit only this part of the page (Shipshape's own, inside a stock page). */
  include?: string;
  /** Why this view is not audited (a stock Backstage page with nothing of Shipshape on it). */
  skip?: string;
}

/** Where every accessibility audit leaves its violations, one JSON file per audited view. */
export const A11Y_RESULTS =
  process.env.SHIPSHAPE_A11Y_DIR ??
  path.resolve(__dirname, '../test-results/a11y');

/**
 * Runs axe-core (WCAG 2.1 A and AA rules) over the page as it is now, writes every violation
 * to test-results/a11y/<name>.json, and fails on a serious or critical one, naming the rule
 * and the elements. SHIPSHAPE_A11Y=report only records (to count violations without failing).
 */
export async function expectAccessible(
  page: Page,
  name: string,
  options: AuditOptions = {},
) {
  if (options.skip) return;
  let axe = new AxeBuilder({ page }).withTags([
    'wcag2a',
    'wcag2aa',
    'wcag21a',
    'wcag21aa',
  ]);
  if (options.include) axe = axe.include(options.include);
  // Stock cards' loading spinners (MUI CircularProgress without a name; no Shipshape card uses
  // one) fail aria-progressbar-name while they load, at whatever moment the audit runs.
  axe = axe.exclude('.MuiCircularProgress-root');
  // react-aria's live announcer (an off-screen log of what was already announced) keeps, for 7 s,
  // a `role="img"` node labelled by a pending button (BUI's Button announces its pending state):
  // after the page moves on, its label is gone and axe reports role-img-alt on the announcer,
  // not on anything shown. Seen in CI on the Activity tab just after the DR card's Back up now.
  axe = axe.exclude('[data-live-announcer]');
  for (const selector of options.exclude ?? []) axe = axe.exclude(selector);
  const { violations } = await axe.analyze();
  fs.mkdirSync(A11Y_RESULTS, { recursive: true });
  fs.writeFileSync(
    path.join(A11Y_RESULTS, `${name}.json`),
    JSON.stringify(
      violations.map(v => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map(n => ({
          target: n.target.join(' '),
          summary: n.failureSummary,
        })),
      })),
      null,
      2,
    ),
  );
  if (process.env.SHIPSHAPE_A11Y === 'report') return;
  const blocking = violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(
      v =>
        `${v.impact} ${v.id} (${v.help}): ${v.nodes
          .map(n => n.target.join(' '))
          .join(', ')}`,
    );
  expect(blocking, `accessibility violations on ${name}`).toEqual([]);
}

/** Saves a full-page screenshot of what the test reached, and audits its accessibility there. */
export async function screenshot(
  page: Page,
  name: string,
  options: AuditOptions = {},
) {
  await expectAccessible(page, name, options);
  await page.screenshot({
    path: path.join(SCREENSHOTS, `${name}.png`),
    fullPage: true,
  });
}

/**
 * A repository published from a service template (shipshape:publish:local) tracks the
 * template's .gitignore (the skeleton's `gitignore`, named back by the template's fs:rename
 * step; npm would leave a .gitignore out of the templates package) and no stray `gitignore`.
 */
export function expectPublishedGitignore(repo: string, template: string) {
  const tracked = execFileSync('git', ['-C', repo, 'ls-files'], {
    encoding: 'utf8',
  }).split('\n');
  expect(tracked).toContain('.gitignore');
  expect(tracked).not.toContain('gitignore');
  expect(fs.readFileSync(path.join(repo, '.gitignore'), 'utf8')).toBe(
    fs.readFileSync(
      path.resolve(__dirname, '../templates', template, 'skeleton/gitignore'),
      'utf8',
    ),
  );
}
