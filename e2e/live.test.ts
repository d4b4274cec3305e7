import { expect, Page, test, WebSocketRoute } from '@playwright/test';
import { expectAccessible, signInAsGuest } from './helpers';

const CHANNEL = 'shipshape:entity:component:default/payments-api';

/** Resolves when the page's signals websocket has subscribed to payments-api's channel. */
function subscribed(page: Page): Promise<void> {
  return new Promise(resolve => {
    page.on('websocket', ws =>
      ws.on('framesent', frame => {
        if (String(frame.payload).includes(CHANNEL)) resolve();
      }),
    );
  });
}

test('a backup started on one page shows on another open page without a reload (signals)', async ({
  browser,
}) => {
  // Two browsers (their own sessions), both on payments-api's page.
  const watcher = await (await browser.newContext()).newPage();
  const actor = await (await browser.newContext()).newPage();
  const watching = subscribed(watcher);
  await signInAsGuest(watcher);
  await watcher.goto('/catalog/default/component/payments-api');
  await expect(watcher.getByText('DR Readiness')).toBeVisible();
  // the Rollout card says its data is pushed while the signals socket is open
  await expect(watcher.getByTestId('rollout-freshness')).toHaveText(
    /^updated .+ · live$/,
  );
  // while live the DR card polls only every 60 s: a backup seen within ms came by its signal
  await watching;

  await signInAsGuest(actor);
  await actor.goto('/catalog/default/component/payments-api');
  const button = actor.getByRole('button', { name: 'Back up now' });
  await expect(button).toBeEnabled();
  await button.click();
  const backedUp = actor.getByText(
    /^Backup [0-9a-f-]{36} (verified|failed.*)$/,
  );
  await expect(backedUp).toBeVisible({ timeout: 60_000 });
  const backupId = (await backedUp.textContent())!.split(' ')[1];
  const t0 = Date.now();

  await expect(
    watcher
      .getByRole('table', { name: 'backup history' })
      .getByRole('row')
      .first(),
  ).toContainText(`${backupId.slice(0, 8)} · pg_dumpverified`);
  console.log(
    `the watching page showed backup ${backupId} ${
      Date.now() - t0
    } ms after the acting page saw it end`,
  );
  // the page as the signal left it, and the acting page after its backup
  await expectAccessible(watcher, 'live-payments-api-watcher');
  await expectAccessible(actor, 'live-payments-api-actor');
});

test('a backup made while the signals socket is down shows on the page once it reconnects', async ({
  browser,
}) => {
  const watcher = await (await browser.newContext()).newPage();
  // The watching page's signals websocket goes through this route: passed to the backend, or,
  // while `down`, closed by the "server" (code 4000, so the client reconnects every 5 s).
  let down = false;
  let current: WebSocketRoute | undefined;
  await watcher.routeWebSocket(/\/api\/signals/, ws => {
    if (down) {
      setTimeout(() => ws.close({ code: 4000, reason: 'dropped' }), 300);
      return;
    }
    ws.connectToServer();
    current = ws;
  });
  const watching = subscribed(watcher);
  await signInAsGuest(watcher);
  await watcher.goto('/catalog/default/component/payments-api');
  await expect(watcher.getByText('DR Readiness')).toBeVisible();
  await watching;
  const freshness = watcher.getByTestId('rollout-freshness');
  await expect(freshness).toHaveText(/ · live$/);

  down = true;
  await current!.close({ code: 4000, reason: 'dropped' });
  await expect(freshness).toHaveText(/ · polling every 10 s$/);
  // the DR card falls back to its own poll and says so too; the page as it is while polling
  await expect(watcher.getByTestId('dr-freshness')).toHaveText(
    'polling every 30 s',
  );
  await expectAccessible(watcher, 'live-payments-api-polling');

  // a backup from another browser while the socket is down: its signals are lost
  const actor = await (await browser.newContext()).newPage();
  await signInAsGuest(actor);
  await actor.goto('/catalog/default/component/payments-api');
  const button = actor.getByRole('button', { name: 'Back up now' });
  await expect(button).toBeEnabled();
  await button.click();
  const backedUp = actor.getByText(
    /^Backup [0-9a-f-]{36} (verified|failed.*)$/,
  );
  await expect(backedUp).toBeVisible({ timeout: 60_000 });
  const backupId = (await backedUp.textContent())!.split(' ')[1];
  await expectAccessible(actor, 'live-payments-api-actor-after-backup');

  // back up: the DR card re-reads when the socket is open again (else at its next 30 s poll)
  down = false;
  const t0 = Date.now();
  await expect(freshness).toHaveText(/ · live$/, { timeout: 15_000 });
  await expect(
    watcher
      .getByRole('table', { name: 'backup history' })
      .getByRole('row')
      .first(),
  ).toContainText(backupId.slice(0, 8), { timeout: 15_000 });
  console.log(
    `after the socket was let through again, the watching page showed backup ${backupId} in ${
      Date.now() - t0
    } ms (reconnect every 5 s, socket check every 2 s)`,
  );
  await expect(watcher.getByTestId('dr-freshness')).toHaveText('live');
  await expectAccessible(watcher, 'live-payments-api-reconnected');
});
