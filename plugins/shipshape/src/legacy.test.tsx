import { EntityProvider } from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { TestApiProvider, renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { ReactElement } from 'react';
import { Route, Routes } from 'react-router-dom';
import {
  unconfiguredBackend,
  unconfiguredEntity,
} from './__testUtils__/unconfigured';
import { ShipshapeClient, shipshapeApiRef } from './api';
import { legacyConfigurationRouteRef } from './routes';
import {
  EntityShipshapeActivityContent,
  EntityShipshapeContractCard,
  EntityShipshapeDrContent,
  EntityShipshapeDrReadinessCard,
  EntityShipshapeOwnershipCard,
  EntityShipshapeRolloutCard,
  EntityShipshapeRolloutContent,
  EntityShipshapeSloCard,
  ShipshapeConfigurationPage,
  ShipshapeDrOverviewPage,
  ShipshapeOwnershipPage,
  ShipshapeSloBurnPage,
} from './index';

// the first render of a test app takes seconds on a busy 2-core machine
jest.setTimeout(60_000);

/**
 * Each export for portals on the old frontend system, rendered in the old system's test app
 * (@backstage/test-utils: core-app-api's routing, no route-resolution API of the new system),
 * with the real client against the recorded answers of the unconfigured backend plugin.
 */
const entity = unconfiguredEntity;
const backend = unconfiguredBackend();

const client = new ShipshapeClient({
  discoveryApi: { getBaseUrl: async () => 'http://backend/api/shipshape' },
  fetchApi: { fetch: backend as typeof globalThis.fetch },
});
// as @backstage/plugin-permission-common's AuthorizeResult.DENY (not a dependency of this package)
const permissionApi = { authorize: async () => ({ result: 'DENY' as any }) };

describe('the legacy exports in an old-frontend-system app', () => {
  it.each<[string, ReactElement, RegExp]>([
    [
      'EntityShipshapeRolloutCard',
      <EntityShipshapeRolloutCard refreshIntervalMs={0} />,
      /Rollout status/,
    ],
    [
      'EntityShipshapeRolloutContent',
      <EntityShipshapeRolloutContent />,
      /Rollout status|Not configured/,
    ],
    [
      'EntityShipshapeContractCard',
      <EntityShipshapeContractCard />,
      /Shipshape contract/,
    ],
    [
      'EntityShipshapeOwnershipCard',
      <EntityShipshapeOwnershipCard />,
      /Ownership & Cost/,
    ],
    [
      'EntityShipshapeSloCard',
      <EntityShipshapeSloCard />,
      /SLOs and error budgets/,
    ],
    [
      'EntityShipshapeDrReadinessCard',
      <EntityShipshapeDrReadinessCard />,
      /DR Readiness/,
    ],
    [
      'EntityShipshapeDrContent',
      <EntityShipshapeDrContent />,
      /Backup age against the RPO/,
    ],
    [
      'EntityShipshapeActivityContent',
      <EntityShipshapeActivityContent />,
      /Activity/,
    ],
    [
      'ShipshapeOwnershipPage',
      <ShipshapeOwnershipPage />,
      /Cost: no cluster configured/,
    ],
    [
      'ShipshapeSloBurnPage',
      <ShipshapeSloBurnPage />,
      /Services burning their error budget fastest/,
    ],
    [
      'ShipshapeDrOverviewPage',
      <ShipshapeDrOverviewPage />,
      /No backup target is configured/,
    ],
    [
      'ShipshapeConfigurationPage',
      <ShipshapeConfigurationPage />,
      /shipshape\.backup\.targets/,
    ],
  ])('%s renders its heading', async (_name, element, heading) => {
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [shipshapeApiRef, client],
          [permissionApiRef, permissionApi],
        ]}
      >
        <EntityProvider entity={entity}>
          {/* as in App.tsx: an old-system page renders only where a route path mounts it */}
          <Routes>
            <Route path="/" element={element} />
          </Routes>
        </EntityProvider>
      </TestApiProvider>,
    );
    expect((await screen.findAllByText(heading))[0]).toBeInTheDocument();
  });

  it("a card's Not configured hint links to ShipshapeConfigurationPage where App.tsx mounts it", async () => {
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [shipshapeApiRef, client],
          [permissionApiRef, permissionApi],
        ]}
      >
        <EntityProvider entity={entity}>
          <EntityShipshapeDrReadinessCard />
        </EntityProvider>
      </TestApiProvider>,
      {
        mountedRoutes: {
          '/shipshape/configuration': legacyConfigurationRouteRef,
        },
      },
    );
    expect(
      await screen.findByRole('link', {
        name: 'How to configure it (example on the Shipshape configuration page)',
      }),
    ).toHaveAttribute(
      'href',
      '/shipshape/configuration#shipshape.backup.targets',
    );
  });
});
