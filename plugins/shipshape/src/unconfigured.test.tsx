import { screen, waitFor } from '@testing-library/react';
import { STATUS_CODES } from 'node:http';
import { ReactElement } from 'react';
import { renderWithBackend } from './__testUtils__/render';
import {
  unconfiguredBackend,
  unconfiguredEntity,
} from './__testUtils__/unconfigured';
import { ContractCard } from './components/ContractCard';
import { ActivityContent } from './components/activity';
import { DrOverviewPage, DrReadinessCard } from './components/dr';
import { DrTab } from './components/dr/BackupAgeChart';
import { OwnershipCard, OwnershipPage } from './components/ownership';
import { RolloutStatusCard, RolloutTab } from './components/rollout';
import { SloBurningPage, SloCard } from './components/slo';
import { SloTab } from './components/slo/SloCharts';
import { configurationRouteRef } from './routes';

// the first render of a test app takes seconds on a busy 2-core machine
jest.setTimeout(60_000);

/**
 * A portal that installed Shipshape and set nothing under `shipshape.*`: every card, tab and
 * page, with the real client, against what the real backend plugin answers then. The answers
 * (`__fixtures__/unconfiguredBackend.json`) were recorded from `shipshapePlugin` started by
 * `startTestBackend` with empty config and this entity in the catalog, one GET per path;
 * packages/backend/src/unconfiguredAnswers.test.ts checks that the real plugin still answers each
 * of them so.
 */
const entity = unconfiguredEntity;
const requested: string[] = [];
const backend = unconfiguredBackend(requested);

/** The app mounts the configuration help page here (alpha.tsx), so each hint links to it. */
const routes = { '/shipshape/configuration': configurationRouteRef };
const render = (element: ReactElement) =>
  renderWithBackend(element, entity, backend, false, [], routes);

/** The hint's link: to the configuration help page at the key's entry. */
async function expectHelpLink(key: string) {
  const links = await screen.findAllByRole('link', {
    name: 'How to configure it (example on the Shipshape configuration page)',
  });
  for (const link of links) {
    expect(link).toHaveAttribute('href', `/shipshape/configuration#${key}`);
  }
}

/**
 * What no view may show: the client's generic failure text, a 4xx/5xx code as a status (after
 * status/HTTP/with, or before its reason phrase) or a 4xx/5xx reason phrase (node's list); a
 * number such as "500 ms" is no status.
 */
const PHRASES = Object.entries(STATUS_CODES)
  .filter(([code]) => /^[45]/.test(code))
  .map(([, phrase]) => phrase)
  .join('|');
const RAW_STATUS = new RegExp(
  `Request failed|\\b(?:status|HTTP|with) [45]\\d\\d\\b|\\b[45]\\d\\d (?:${PHRASES})|\\b(?:${PHRASES})\\b`,
);

describe('every Shipshape view on a portal without shipshape.* configuration', () => {
  beforeEach(() => {
    requested.length = 0;
  });

  it.each<[string, ReactElement, string]>([
    ['SLO card', <SloCard />, 'shipshape.prometheus.instances'],
    ['SLO tab', <SloTab />, 'shipshape.prometheus.instances'],
    ['SLO burn page', <SloBurningPage />, 'shipshape.prometheus.instances'],
    [
      'Rollout card',
      <RolloutStatusCard refreshIntervalMs={0} />,
      'shipshape.environments',
    ],
    ['Rollout tab', <RolloutTab />, 'shipshape.environments'],
    [
      "DR tab (the backup-age chart's card)",
      <DrTab />,
      'shipshape.backup.targets',
    ],
    ['Ownership card (cost)', <OwnershipCard />, 'shipshape.environments'],
  ])(
    '%s: names the key to set and links to its help, never a status code',
    async (_name, element, key) => {
      await render(element);
      await waitFor(() =>
        expect(document.body).toHaveTextContent(`Not configured: ${key}`),
      );
      await expectHelpLink(key);
      expect(document.body).not.toHaveTextContent(RAW_STATUS);
    },
  );

  // The DR readiness card grades what it can and says once which key is missing; the cluster
  // checks, each unreadable for the same reason, are one row naming them.
  it('DR readiness card: "Not configured: shipshape.backup.targets" with its help link, the unknown environment said once', async () => {
    await render(<DrReadinessCard />);
    expect(
      await screen.findByText(
        /Set shipshape.dev\/backup-target to a target from app-config shipshape.backup.targets/,
      ),
    ).toBeInTheDocument();
    expect(document.body).toHaveTextContent(
      'Not configured: shipshape.backup.targets',
    );
    expect(document.body).toHaveTextContent(
      "names backup target 'orders-db', but this backend has no shipshape.backup.targets configured",
    );
    await expectHelpLink('shipshape.backup.targets');
    expect(
      screen.getAllByText(/Unknown environment 'production'/),
    ).toHaveLength(1);
    expect(
      screen.getByText(
        'Checks: backup-schedule, replicas, pdb, zone-spread, probes, image-pinned',
      ),
    ).toBeInTheDocument();
    expect(screen.getAllByRole('alert')).toHaveLength(1);
    expect(document.body).not.toHaveTextContent(RAW_STATUS);
  });
  it('Ownership page: "Not configured: shipshape.environments" with its help link, cost not shown as zero', async () => {
    await render(<OwnershipPage />);
    expect(
      await screen.findByText('Cost: no cluster configured'),
    ).toBeInTheDocument();
    expect(document.body).toHaveTextContent(
      'Not configured: shipshape.environments',
    );
    await expectHelpLink('shipshape.environments');
    expect(document.body).not.toHaveTextContent('$0');
    expect(document.body).not.toHaveTextContent(RAW_STATUS);
  });
  it('DR overview page: "Not configured: shipshape.backup.targets" with its help link above its rows', async () => {
    await render(<DrOverviewPage />);
    expect(
      await screen.findByText(/No backup target is configured/),
    ).toBeInTheDocument();
    expect(document.body).toHaveTextContent(
      'Not configured: shipshape.backup.targets',
    );
    await expectHelpLink('shipshape.backup.targets');
    expect(screen.getAllByText('orders-api')[0]).toBeInTheDocument();
    expect(document.body).not.toHaveTextContent(RAW_STATUS);
  });

  it.each<[string, ReactElement, RegExp]>([
    ['Ownership page', <OwnershipPage />, /Cost: no cluster configured/],
    ['DR overview page', <DrOverviewPage />, /orders-api/],
    ['Activity tab', <ActivityContent />, /No operations|no operations/i],
    ['Contract card', <ContractCard />, /orders-db/],
  ])(
    '%s: renders what it has, never a status code',
    async (_name, element, shows) => {
      await renderWithBackend(element, entity, backend);
      expect((await screen.findAllByText(shows))[0]).toBeInTheDocument();
      expect(document.body).not.toHaveTextContent(RAW_STATUS);
    },
  );
});

describe('RAW_STATUS', () => {
  it('finds a status however it is written, not a number that is none', () => {
    for (const text of [
      'Request failed with 404 Not Found',
      'Request failed with status 502 Bad Gateway',
      'answered 503 Service Unavailable',
      'HTTP 429',
      'status 401',
      'Forbidden',
      'Gateway Timeout',
    ]) {
      expect(text).toMatch(RAW_STATUS);
    }
    for (const text of [
      'p99 latency 500 ms',
      '404 requests in 5 min',
      'budget 450 min left',
      'Backups: 410 kept',
    ]) {
      expect(text).not.toMatch(RAW_STATUS);
    }
  });
});

/**
 * A portal that installed the frontend plugin but not the backend one: Backstage's root router
 * answers every /api/shipshape request 404 with an empty body (backend-defaults'
 * MiddlewareFactory.notFound()), which the client reads as "Request failed with 404 Not Found".
 */
describe('every Shipshape view on a portal without the Shipshape backend plugin', () => {
  const noBackend = async () =>
    new Response(null, { status: 404, statusText: 'Not Found' });
  const NOT_INSTALLED =
    'The Shipshape backend is not installed in this portal: add @shipshape/plugin-shipshape-backend';

  it.each<[string, ReactElement]>([
    ['SLO card', <SloCard />],
    ['SLO tab', <SloTab />],
    ['SLO burn page', <SloBurningPage />],
    ['Rollout card', <RolloutStatusCard refreshIntervalMs={0} />],
    ['Rollout tab', <RolloutTab />],
    ["DR tab (the backup-age chart's card)", <DrTab />],
    ['DR readiness card', <DrReadinessCard />],
    ['DR overview page', <DrOverviewPage />],
    ['Ownership card', <OwnershipCard />],
    ['Ownership page', <OwnershipPage />],
    ['Activity tab', <ActivityContent />],
  ])(
    '%s: says the backend plugin is missing and names its package, never a status code',
    async (_name, element) => {
      await renderWithBackend(element, entity, noBackend);
      expect(
        (
          await screen.findAllByText(content => content.includes(NOT_INSTALLED))
        )[0],
      ).toBeInTheDocument();
      expect(document.body).not.toHaveTextContent(RAW_STATUS);
    },
  );
});
