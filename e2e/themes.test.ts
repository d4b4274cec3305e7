import { expect, Locator, Page, test } from '@playwright/test';
import fs from 'fs';
import path from 'path';
import { expectAccessible, inDarkTheme, openAsGuest } from './helpers';

/**
 * The Shipshape cards of payments-api (SLO, DR Readiness, Rollout status, Ownership & Cost) and
 * its SLO tab's charts in the light and the dark theme, compared with the
 * baseline pictures in e2e/__screenshots__/themes.test.ts/ (a card drawn in the wrong theme, a
 * wrong colour over a good part of it, or a missing chart fails). To be the same every run, every
 * Shipshape GET is answered from answers recorded once on the local stack
 * (e2e/__fixtures__/payments-api-answers.json) and the page's clock is fixed to when they were
 * recorded, so "3 h ago" stays "3 h ago". The catalog entity itself is the example one.
 *
 * Re-record the answers (the stack up):  SHIPSHAPE_RECORD_ANSWERS=1 scripts/e2e.sh e2e/themes.test.ts --update-snapshots
 * Re-take the pictures after a wanted change:  scripts/e2e.sh e2e/themes.test.ts --update-snapshots
 * (then look at each picture before committing it). Without --update-snapshots nothing is written.
 */
const ANSWERS = path.resolve(
  __dirname,
  '__fixtures__/payments-api-answers.json',
);
const RECORD = !!process.env.SHIPSHAPE_RECORD_ANSWERS;

interface Answers {
  recordedAt: string;
  answers: Record<string, { status: number; body: unknown }>;
}
// the page's clock starts at the next whole minute after the recording and runs from there
const recorded: Answers = RECORD
  ? {
      recordedAt: new Date(
        Math.ceil(Date.now() / 60_000) * 60_000,
      ).toISOString(),
      answers: {},
    }
  : JSON.parse(fs.readFileSync(ANSWERS, 'utf8'));

/** Answers Shipshape's GETs from the recording (or records them); returns the ones missing. */
async function replayShipshape(page: Page): Promise<string[]> {
  const missing: string[] = [];
  // install, not setFixedTime: a clock that never moves keeps the entity page loading
  await page.clock.install({ time: new Date(recorded.recordedAt) });
  await page.route('**/api/shipshape/**', async route => {
    const url = new URL(route.request().url());
    const key = `${url.pathname.replace(/^\/api\/shipshape/, '')}${url.search}`;
    if (route.request().method() !== 'GET') return route.fallback();
    if (RECORD && !recorded.answers[key]) {
      const response = await route.fetch();
      recorded.answers[key] = {
        status: response.status(),
        body: await response.json(),
      };
    }
    const answer = recorded.answers[key];
    if (!answer) {
      missing.push(key);
      return route.abort();
    }
    return route.fulfill({
      status: answer.status,
      contentType: 'application/json',
      body: JSON.stringify(answer.body),
    });
  });
  return missing;
}

test.afterAll(() => {
  if (!RECORD) return;
  fs.mkdirSync(path.dirname(ANSWERS), { recursive: true });
  fs.writeFileSync(ANSWERS, `${JSON.stringify(recorded)}\n`);
});

const card = (page: Page, title: string) =>
  page.locator('.bui-Card').filter({ hasText: title }).first();

async function expectPicture(region: Locator, name: string) {
  await region.scrollIntoViewIfNeeded();
  await expect(region).toHaveScreenshot(`${name}.png`, {
    animations: 'disabled',
    caret: 'hide',
    // Runs on the same Chromium and fonts differ by 0 pixels; 0.1% leaves room for a few
    // antialiased edges. Measured failures: the SLO card without its compact charts differs by
    // 0.19-0.25%, the SLO tab's charts hidden 2%, a wrong accent colour 5%, a light card in the
    // dark theme 85-93%.
    maxDiffPixelRatio: 0.001,
  });
}

for (const theme of ['light', 'dark'] as const) {
  test.describe(`${theme} theme`, () => {
    test.beforeEach(async ({ page }) => {
      if (theme === 'dark') await inDarkTheme(page);
    });

    test(`the entity page's SLO and DR cards in the ${theme} theme`, async ({
      page,
    }) => {
      const missing = await replayShipshape(page);
      await openAsGuest(page, '/catalog/default/component/payments-api');
      const slo = card(page, 'SLOs and error budgets');
      await expect(
        slo
          .getByRole('img', { name: /error budget remaining, day by day over/ })
          .locator('path.recharts-line-curve'),
      ).toHaveCount(3, { timeout: 30_000 });
      const dr = card(page, 'DR Readiness');
      await expect(
        dr.getByRole('table', { name: 'DR readiness checks' }),
      ).toBeVisible();
      // its freshness line says 'polling every 30 s' until the signals socket is open
      await expect(dr.getByTestId('dr-freshness')).toHaveText('live');
      const rollout = card(page, 'Rollout status');
      await expect(
        rollout.getByRole('region', { name: 'environment production' }),
      ).toBeVisible();
      await expect(rollout.getByTestId('rollout-freshness')).toHaveText(
        / · live$/,
      );
      const ownership = card(page, 'Ownership & Cost');
      await expect(ownership.getByTestId('ownership-freshness')).toHaveText(
        'live',
      );
      await expectAccessible(page, `themes-entity-payments-api-${theme}`);
      await expectPicture(slo, `slo-card-${theme}`);
      await expectPicture(dr, `dr-card-${theme}`);
      await expectPicture(rollout, `rollout-card-${theme}`);
      await expectPicture(ownership, `ownership-card-${theme}`);
      expect(missing, 'Shipshape answers not recorded').toEqual([]);
    });

    test(`the SLO tab's charts in the ${theme} theme`, async ({ page }) => {
      const missing = await replayShipshape(page);
      await openAsGuest(page, '/catalog/default/component/payments-api/slo');
      const charts = card(page, 'Error budget and burn rate over time');
      // every SLO's section has its line and its 5 reference lines (1 budget, 4 burn windows)
      const sections = charts.getByRole('region', { name: /^charts of / });
      await expect(sections).toHaveCount(3, { timeout: 30_000 });
      for (const section of await sections.all()) {
        await expect(section.locator('.recharts-reference-line')).toHaveCount(
          5,
        );
        await expect(
          section.locator('.recharts-line-curve').first(),
        ).toBeAttached();
      }
      await expectAccessible(page, `themes-slo-tab-payments-api-${theme}`);
      // one SLO's charts (the others are drawn by the same code), to keep the picture small
      await expectPicture(
        charts.getByRole('region', { name: 'charts of availability' }),
        `slo-charts-availability-${theme}`,
      );
      expect(missing, 'Shipshape answers not recorded').toEqual([]);
    });
  });
}
