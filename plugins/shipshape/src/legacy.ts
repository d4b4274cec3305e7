import {
  createComponentExtension,
  createPlugin,
} from '@backstage/core-plugin-api';

/**
 * Shipshape for portals still on the old frontend system.
 *
 * @public
 */
export const shipshapePlugin = createPlugin({ id: 'shipshape' });

/** @public */
export const EntityShipshapeContractCard = shipshapePlugin.provide(
  createComponentExtension({
    name: 'EntityShipshapeContractCard',
    component: {
      lazy: () => import('./components/ContractCard').then(m => m.ContractCard),
    },
  }),
);
