/*
 * The Shipshape demo portal's backend: a stock Backstage backend plus the Shipshape plugin and
 * its catalog and scaffolder modules.
 */

import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-proxy-backend'));

// scaffolder plugin
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));
backend.add(
  import('@backstage/plugin-scaffolder-backend-module-notifications'),
);

// techdocs plugin
backend.add(import('@backstage/plugin-techdocs-backend'));

// auth plugin
backend.add(import('@backstage/plugin-auth-backend'));
// See https://backstage.io/docs/backend-system/building-backends/migrating#the-auth-plugin
// See https://backstage.io/docs/auth/guest/provider; configured by app-config.development.yaml only
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
// A real sign-in for production (auth.providers.github; README, "Production")
backend.add(import('@backstage/plugin-auth-backend-module-github-provider'));

// catalog plugin
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);

// See https://backstage.io/docs/features/software-catalog/configuration#subscribing-to-catalog-errors
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

// permission plugin
backend.add(import('@backstage/plugin-permission-backend'));
// Shipshape's policy: operations for the entity's owners and permission.shipshape.adminGroups,
// protected environments for those groups only, everything else allowed (README, "Permissions").
backend.add(import('@shipshape/plugin-permission-backend-module-shipshape'));

// search plugin
backend.add(import('@backstage/plugin-search-backend'));

// search engine
// See https://backstage.io/docs/features/search/search-engines
backend.add(import('@backstage/plugin-search-backend-module-pg'));

// search collators
backend.add(import('@backstage/plugin-search-backend-module-catalog'));
backend.add(import('@backstage/plugin-search-backend-module-techdocs'));

// kubernetes plugin
backend.add(import('@backstage/plugin-kubernetes-backend'));

// user settings plugin
backend.add(import('@backstage/plugin-user-settings-backend'));

// notifications and signals plugins
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

// mcp actions plugin
backend.add(import('@backstage/plugin-mcp-actions-backend'));

// shipshape: the REST API and operations engine, the catalog policy, the scaffolder actions
backend.add(import('@shipshape/plugin-shipshape-backend'));
backend.add(import('@shipshape/plugin-catalog-backend-module-shipshape'));
backend.add(import('@shipshape/plugin-scaffolder-backend-module-shipshape'));

backend.start();
