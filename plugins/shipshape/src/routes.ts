import { createRouteRef as createLegacyRouteRef } from '@backstage/core-plugin-api';
import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The configuration help page (`/shipshape/configuration`) in the new frontend system. */
export const configurationRouteRef = createRouteRef();

/** The same page as the legacy export `ShipshapeConfigurationPage` mounts it. */
export const legacyConfigurationRouteRef = createLegacyRouteRef({
  id: 'shipshape-configuration',
});
