import { coreExtensionData } from '@backstage/frontend-plugin-api';
import {
  createExtensionTester,
  renderInTestApp,
} from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import {
  shipshapeActivityContent,
  shipshapeConfigurationPage,
  shipshapeContractCard,
  shipshapeDrContent,
  shipshapeDrOverviewPage,
  shipshapeOwnershipPage,
  shipshapeSloBurnPage,
} from './alpha';
import { ContractCard } from './components/ContractCard';

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'orders-api',
    annotations: {
      'shipshape.dev/tier': 'gold',
      'shipshape.dev/rpo': '15m',
      'shipshape.dev/runbook': 'https://docs.example.com/orders-api/runbook',
    },
  },
  spec: {
    type: 'service',
    owner: 'group:default/orders',
    lifecycle: 'production',
  },
};

describe('shipshape contract card', () => {
  it('is an entity card extension for catalog kinds', () => {
    const tester = createExtensionTester(shipshapeContractCard);
    expect(tester.query(shipshapeContractCard)).toBeDefined();
  });

  it('shows declared values, missing ones, and the precise error of a bad one', async () => {
    await renderInTestApp(
      <EntityProvider entity={entity}>
        <ContractCard />
      </EntityProvider>,
    );
    expect(await screen.findByText('Shipshape contract')).toBeInTheDocument();
    expect(screen.getByText('15m')).toBeInTheDocument();
    expect(
      screen.getByText(
        'shipshape.dev/tier is "gold"; expected one of critical, standard, best-effort',
      ),
    ).toBeInTheDocument();
    expect(screen.getAllByText('not declared').length).toBeGreaterThan(0);
    expect(
      screen.getByRole('link', { name: /^https:\/\/docs\.example\.com/ }),
    ).toHaveAttribute('href', 'https://docs.example.com/orders-api/runbook');
  });
});

describe('shipshape pages', () => {
  // The app's sidebar lists a page that has a route ref, a title and an icon.
  const expectNavItem = (
    tester: ReturnType<typeof createExtensionTester>,
    path: string,
    title: string,
  ) => {
    expect(tester.get(coreExtensionData.routePath)).toBe(path);
    expect(tester.get(coreExtensionData.title)).toBe(title);
    expect(tester.get(coreExtensionData.icon)).toBeTruthy();
    expect(tester.get(coreExtensionData.routeRef)).toBeDefined();
  };

  it('are sidebar items with a title and an icon', () => {
    expectNavItem(
      createExtensionTester(shipshapeSloBurnPage),
      '/shipshape/slos',
      'SLO burn',
    );
    expectNavItem(
      createExtensionTester(shipshapeOwnershipPage),
      '/shipshape/ownership',
      'Ownership & Cost',
    );
    expectNavItem(
      createExtensionTester(shipshapeDrOverviewPage),
      '/shipshape/dr',
      'DR overview',
    );
  });
  it('the configuration help page has a route but no icon, so it is not in the sidebar', () => {
    const tester = createExtensionTester(shipshapeConfigurationPage);
    expect(tester.get(coreExtensionData.routePath)).toBe(
      '/shipshape/configuration',
    );
    expect(tester.get(coreExtensionData.routeRef)).toBeDefined();
    expect(tester.get(coreExtensionData.title)).toBe('Shipshape configuration');
    expect(tester.get(coreExtensionData.icon)).toBeUndefined();
  });
});

describe('shipshape activity tab', () => {
  it('is an entity tab at /activity titled Activity, for components and resources', () => {
    const tester = createExtensionTester(shipshapeActivityContent);
    expect(tester.get(coreExtensionData.routePath)).toBe('/activity');
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe('Activity');
  });
});

describe('shipshape DR tab', () => {
  it('is an entity tab at /dr titled DR, on entities naming a backup target', () => {
    const tester = createExtensionTester(shipshapeDrContent);
    expect(tester.get(coreExtensionData.routePath)).toBe('/dr');
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe('DR');
    const shows = tester.get(EntityContentBlueprint.dataRefs.filterFunction)!;
    const withTarget = {
      ...entity,
      metadata: {
        name: 'payments-api',
        annotations: { 'shipshape.dev/backup-target': 'payments-db' },
      },
    };
    expect(shows(withTarget)).toBe(true);
    expect(shows({ ...entity, metadata: { name: 'plain' } })).toBe(false);
  });
});
