import { createFrontendPlugin } from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';

/** @alpha */
export const shipshapeContractCard = EntityCardBlueprint.make({
  name: 'contract',
  params: {
    filter: { kind: { $in: ['component', 'resource', 'system', 'api'] } },
    loader: () =>
      import('./components/ContractCard').then(m => <m.ContractCard />),
  },
});

/**
 * Shipshape for the new frontend system.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'shipshape',
  extensions: [shipshapeContractCard],
});
