import { screen, waitFor } from '@testing-library/react';
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

/** What no view may show: a bare status code or the client's generic failure text. */
const RAW_STATUS = /\b(400|404|500)\b|Bad Request|Not Found|Request failed/;

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
