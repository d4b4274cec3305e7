import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { ShipshapeClient, shipshapeApiRef } from './api';

/** @alpha */
export const shipshapeApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: shipshapeApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new ShipshapeClient({ discoveryApi, fetchApi }),
    }),
});

/** @alpha */
export const shipshapeOwnershipCard = EntityCardBlueprint.make({
  name: 'ownership',
  params: {
    filter: { kind: { $in: ['component', 'resource', 'system', 'api'] } },
    loader: () =>
      import('./components/ownership').then(m => <m.OwnershipCard />),
  },
});

/** @alpha */
export const shipshapeOwnershipPage = PageBlueprint.make({
  name: 'ownership',
  params: {
    path: '/shipshape/ownership',
    title: 'Ownership & Cost',
    loader: () =>
      import('./components/ownership').then(m => <m.OwnershipPage />),
  },
});

/** @alpha */
export const shipshapeContractCard = EntityCardBlueprint.make({
  name: 'contract',
  params: {
    filter: { kind: { $in: ['component', 'resource', 'system', 'api'] } },
    loader: () =>
      import('./components/ContractCard').then(m => <m.ContractCard />),
  },
});

/** @alpha */
export const shipshapeRolloutCard = EntityCardBlueprint.make({
  name: 'rollout',
  params: {
    filter: { kind: { $in: ['component'] } },
    loader: () =>
      import('./components/rollout').then(m => <m.RolloutStatusCard />),
  },
});

/**
 * Shipshape for the new frontend system.
 *
 * @alpha
 */
/** @alpha */
export const shipshapeSloCard = EntityCardBlueprint.make({
  name: 'slo',
  params: {
    filter: { kind: { $in: ['component'] } },
    loader: () => import('./components/slo').then(m => <m.SloCard />),
  },
});

/** @alpha */
export const shipshapeSloContent = EntityContentBlueprint.make({
  name: 'slo',
  params: {
    path: '/slo',
    title: 'SLOs',
    filter: { kind: { $in: ['component'] } },
    loader: () => import('./components/slo').then(m => <m.SloCard />),
  },
});

/** @alpha */
export const shipshapeSloBurnPage = PageBlueprint.make({
  name: 'slo-burn',
  params: {
    path: '/shipshape/slos',
    title: 'SLO burn',
    loader: () => import('./components/slo').then(m => <m.SloBurningPage />),
  },
});

export default createFrontendPlugin({
  pluginId: 'shipshape',
  extensions: [
    shipshapeApi,
    shipshapeOwnershipCard,
    shipshapeOwnershipPage,
    shipshapeContractCard,
    shipshapeRolloutCard,
    shipshapeSloCard,
    shipshapeSloContent,
    shipshapeSloBurnPage,
  ],
});
