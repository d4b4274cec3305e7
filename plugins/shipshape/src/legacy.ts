import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  createRouteRef,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { createScaffolderFieldExtension } from '@backstage/plugin-scaffolder-react';
import { CostCenterField } from './components/fields/CostCenterField';
import { ServiceNameField } from './components/fields/ServiceNameField';
import {
  costCenterValidation,
  serviceNameValidation,
} from './components/fields/validation';
import { ShipshapeClient, shipshapeApiRef } from './api';
import type { RolloutStatusCardProps } from './components/rollout';
import { legacyConfigurationRouteRef } from './routes';

const ownershipRouteRef = createRouteRef({ id: 'shipshape-ownership' });
const sloBurnRouteRef = createRouteRef({ id: 'shipshape-slo-burn' });
const drOverviewRouteRef = createRouteRef({ id: 'shipshape-dr-overview' });

/**
 * Shipshape for portals still on the old frontend system.
 *
 * @public
 */
export const shipshapePlugin = createPlugin({
  id: 'shipshape',
  apis: [
    createApiFactory({
      api: shipshapeApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new ShipshapeClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: {
    ownership: ownershipRouteRef,
    sloBurn: sloBurnRouteRef,
    drOverview: drOverviewRouteRef,
    configuration: legacyConfigurationRouteRef,
  },
});

/** The Ownership & Cost entity card. @public */
export const EntityShipshapeOwnershipCard: () => JSX.Element =
  shipshapePlugin.provide(
    createComponentExtension({
      name: 'EntityShipshapeOwnershipCard',
      component: {
        lazy: () => import('./components/ownership').then(m => m.OwnershipCard),
      },
    }),
  );

/** Cost centers and owners with totals and violations. @public */
export const ShipshapeOwnershipPage: () => JSX.Element =
  shipshapePlugin.provide(
    createRoutableExtension({
      name: 'ShipshapeOwnershipPage',
      component: () =>
        import('./components/ownership').then(m => m.OwnershipPage),
      mountPoint: ownershipRouteRef,
    }),
  );

/** The entity contract: Shipshape annotations, labels and what they parse to. @public */
export const EntityShipshapeContractCard: () => JSX.Element =
  shipshapePlugin.provide(
    createComponentExtension({
      name: 'EntityShipshapeContractCard',
      component: {
        lazy: () =>
          import('./components/ContractCard').then(m => m.ContractCard),
      },
    }),
  );

/** Rollout status per environment: replicas, revisions, phase, pod errors, last deploy. @public */
export const EntityShipshapeRolloutCard: (
  props: RolloutStatusCardProps,
) => JSX.Element = shipshapePlugin.provide(
  createComponentExtension({
    name: 'EntityShipshapeRolloutCard',
    component: {
      lazy: () => import('./components/rollout').then(m => m.RolloutStatusCard),
    },
  }),
);

/** SLOs of an entity: error budget, burn rates, budget over the window, alerts. @public */
export const EntityShipshapeSloCard: () => JSX.Element =
  shipshapePlugin.provide(
    createComponentExtension({
      name: 'EntityShipshapeSloCard',
      component: {
        lazy: () => import('./components/slo').then(m => m.SloCard),
      },
    }),
  );

/** SLOs of the catalog, fastest error-budget burn first. @public */
export const ShipshapeSloBurnPage: () => JSX.Element = shipshapePlugin.provide(
  createRoutableExtension({
    name: 'ShipshapeSloBurnPage',
    component: () => import('./components/slo').then(m => m.SloBurningPage),
    mountPoint: sloBurnRouteRef,
  }),
);

/** The fleet's DR: grade, backup age against RPO, last drill against RTO per service. @public */
export const ShipshapeDrOverviewPage: () => JSX.Element =
  shipshapePlugin.provide(
    createRoutableExtension({
      name: 'ShipshapeDrOverviewPage',
      component: () => import('./components/dr').then(m => m.DrOverviewPage),
      mountPoint: drOverviewRouteRef,
    }),
  );

/**
 * What each part of `shipshape.*` is for, with a minimal example; mount it at
 * /shipshape/configuration, where the cards' "Not configured" hints link (`#<key>`). @public
 */
export const ShipshapeConfigurationPage: () => JSX.Element =
  shipshapePlugin.provide(
    createRoutableExtension({
      name: 'ShipshapeConfigurationPage',
      component: () =>
        import('./components/configuration').then(m => m.ConfigurationPage),
      mountPoint: legacyConfigurationRouteRef,
    }),
  );

/** The Rollout tab: every environment's workloads with all their pods. @public */
export const EntityShipshapeRolloutContent: () => JSX.Element =
  shipshapePlugin.provide(
    createComponentExtension({
      name: 'EntityShipshapeRolloutContent',
      component: {
        lazy: () => import('./components/rollout').then(m => m.RolloutTab),
      },
    }),
  );

/** DR readiness of an entity with a backup target, with Back up now. @public */
export const EntityShipshapeDrReadinessCard: () => JSX.Element =
  shipshapePlugin.provide(
    createComponentExtension({
      name: 'EntityShipshapeDrReadinessCard',
      component: {
        lazy: () => import('./components/dr').then(m => m.DrReadinessCard),
      },
    }),
  );

/**
 * The DR tab of an entity with a backup target: the DR readiness card, then the newest verified
 * backup's age over the last 7 days against the RPO. @public
 */
export const EntityShipshapeDrContent: () => JSX.Element =
  shipshapePlugin.provide(
    createComponentExtension({
      name: 'EntityShipshapeDrContent',
      component: {
        lazy: () => import('./components/dr/BackupAgeChart').then(m => m.DrTab),
      },
    }),
  );

/**
 * The Activity tab: every operation of the entity (deploy, rollback, pause, promote, backup,
 * restore drill), newest first, with who, where, when, outcome and its log. @public
 */
export const EntityShipshapeActivityContent: () => JSX.Element =
  shipshapePlugin.provide(
    createComponentExtension({
      name: 'EntityShipshapeActivityContent',
      component: {
        lazy: () =>
          import('./components/activity').then(m => m.ActivityContent),
      },
    }),
  );

/** Wizard field `ui:field: ShipshapeServiceName`: DNS-1123, not already in the catalog. @public */
export const ShipshapeServiceNameFieldExtension = shipshapePlugin.provide(
  createScaffolderFieldExtension({
    name: 'ShipshapeServiceName',
    component: ServiceNameField,
    validation: serviceNameValidation,
  }),
);

/** Wizard field `ui:field: ShipshapeCostCenter`: checked against the catalog's policy. @public */
export const ShipshapeCostCenterFieldExtension = shipshapePlugin.provide(
  createScaffolderFieldExtension({
    name: 'ShipshapeCostCenter',
    component: CostCenterField,
    validation: costCenterValidation,
  }),
);
