import {
  ApiBlueprint,
  createFrontendModule,
  createFrontendPlugin,
  createRouteRef,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
// MUI's SvgIcon for the sidebar items' icons: Backstage UI 0.18 exports no icon component (its own
// take @remixicon/react elements, not a dependency here), and the stock MUI sidebar sizes an SvgIcon.
import SvgIcon from '@material-ui/core/SvgIcon';
import { SHIPSHAPE_ANNOTATIONS } from '@shipshape/plugin-shipshape-common';
import { ShipshapeClient, shipshapeApiRef } from './api';
import { showsDrReadiness } from './components/dr/applies';
import { configurationRouteRef } from './routes';

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

const ownershipRouteRef = createRouteRef();

/** @alpha */
export const shipshapeOwnershipPage = PageBlueprint.make({
  name: 'ownership',
  params: {
    path: '/shipshape/ownership',
    routeRef: ownershipRouteRef,
    title: 'Ownership & Cost',
    icon: (
      <SvgIcon>
        <path d="M11.8 10.9c-2.27-.59-3-1.2-3-2.15 0-1.09 1.01-1.85 2.7-1.85 1.78 0 2.44.85 2.5 2.1h2.21c-.07-1.72-1.12-3.3-3.21-3.81V3h-3v2.16c-1.94.42-3.5 1.68-3.5 3.61 0 2.31 1.91 3.46 4.7 4.13 2.5.6 3 1.48 3 2.41 0 .69-.49 1.79-2.7 1.79-2.06 0-2.87-.92-2.98-2.1h-2.2c.12 2.19 1.76 3.42 3.68 3.83V21h3v-2.15c1.95-.37 3.5-1.5 3.5-3.55 0-2.84-2.43-3.81-4.5-4.4z" />
      </SvgIcon>
    ),
    loader: () =>
      import('./components/ownership').then(m => <m.OwnershipPage />),
  },
});

/** @alpha The entity's declared contract, in the side column beside About. */
export const shipshapeContractCard = EntityCardBlueprint.make({
  name: 'contract',
  params: {
    type: 'info',
    filter: { kind: { $in: ['component', 'resource', 'system', 'api'] } },
    loader: () =>
      import('./components/ContractCard').then(m => <m.ContractCard />),
  },
});

/** @alpha */
export const shipshapeRolloutContent = EntityContentBlueprint.make({
  name: 'rollout',
  params: {
    path: '/rollout',
    title: 'Rollout',
    filter: { kind: { $in: ['component'] } },
    loader: () => import('./components/rollout').then(m => <m.RolloutTab />),
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
    // the tab only where SLOs are declared; the card also says how to declare them
    filter: entity =>
      entity.kind.toLocaleLowerCase('en-US') === 'component' &&
      [SHIPSHAPE_ANNOTATIONS.slo.name, SHIPSHAPE_ANNOTATIONS.sloRef.name].some(
        name => entity.metadata.annotations?.[name] !== undefined,
      ),
    // the card's numbers and alerts, then the charts over time: their own chunk, so the chart
    // library loads with this tab only, not with the overview's SLO card
    loader: () => import('./components/slo/SloCharts').then(m => <m.SloTab />),
  },
});

/**
 * @alpha The entity's Activity tab: every operation of every kind (deploy, rollback, pause,
 * promote, backup, restore drill), newest first, with who, where, when, outcome and its log.
 */
export const shipshapeActivityContent = EntityContentBlueprint.make({
  name: 'activity',
  params: {
    path: '/activity',
    title: 'Activity',
    filter: { kind: { $in: ['component', 'resource'] } },
    loader: () =>
      import('./components/activity').then(m => <m.ActivityContent />),
  },
});

const sloBurnRouteRef = createRouteRef();

/** @alpha The SLOs of the catalog, burning fastest first; in the sidebar as "SLO burn". */
export const shipshapeSloBurnPage = PageBlueprint.make({
  name: 'slo-burn',
  params: {
    path: '/shipshape/slos',
    routeRef: sloBurnRouteRef,
    title: 'SLO burn',
    icon: (
      <SvgIcon>
        <path d="M13.5.67s.74 2.65.74 4.8c0 2.06-1.35 3.73-3.41 3.73-2.07 0-3.63-1.67-3.63-3.73l.03-.36C5.21 7.51 4 10.62 4 14c0 4.42 3.58 8 8 8s8-3.58 8-8C20 8.61 17.41 3.8 13.5.67zM11.71 19c-1.78 0-3.22-1.4-3.22-3.14 0-1.62 1.05-2.76 2.81-3.12 1.77-.36 3.6-1.21 4.62-2.58.39 1.29.59 2.65.59 4.04 0 2.65-2.15 4.8-4.8 4.8z" />
      </SvgIcon>
    ),
    loader: () => import('./components/slo').then(m => <m.SloBurningPage />),
  },
});

const drOverviewRouteRef = createRouteRef();

/** @alpha The fleet's DR: every service's grade, backup against RPO, drill against RTO; "DR overview". */
export const shipshapeDrOverviewPage = PageBlueprint.make({
  name: 'dr-overview',
  params: {
    path: '/shipshape/dr',
    routeRef: drOverviewRouteRef,
    title: 'DR overview',
    icon: (
      <SvgIcon>
        <path d="M12 1 3 5v6c0 5.55 3.84 10.74 9 12 5.16-1.26 9-6.45 9-12V5l-9-4zm-2 16-4-4 1.41-1.41L10 14.17l6.59-6.59L18 9l-8 8z" />
      </SvgIcon>
    ),
    loader: () => import('./components/dr').then(m => <m.DrOverviewPage />),
  },
});

/**
 * @alpha What each part of `shipshape.*` is for, with a minimal example, at
 * /shipshape/configuration: where a card's "Not configured" hint links (`#<key>`). Not in the
 * sidebar (no icon).
 */
export const shipshapeConfigurationPage = PageBlueprint.make({
  name: 'configuration',
  params: {
    path: '/shipshape/configuration',
    routeRef: configurationRouteRef,
    title: 'Shipshape configuration',
    loader: () =>
      import('./components/configuration').then(m => <m.ConfigurationPage />),
  },
});

/**
 * @alpha DR readiness (backups, drills) on every service and every component the DR overview lists,
 * and wherever a backup target is named: a service without one shows the failing check and its fix.
 */
export const shipshapeDrReadinessCard = EntityCardBlueprint.make({
  name: 'dr-readiness',
  params: {
    filter: showsDrReadiness,
    loader: () => import('./components/dr').then(m => <m.DrReadinessCard />),
  },
});

/**
 * @alpha The DR tab, on entities naming a backup target: the readiness card, then the newest
 * verified backup's age over time against the RPO; its own chunk, so the chart library loads
 * with this tab only.
 */
export const shipshapeDrContent = EntityContentBlueprint.make({
  name: 'dr',
  params: {
    path: '/dr',
    title: 'DR',
    filter: entity =>
      entity.metadata.annotations?.[SHIPSHAPE_ANNOTATIONS.backupTarget.name] !==
      undefined,
    loader: () =>
      import('./components/dr/BackupAgeChart').then(m => <m.DrTab />),
  },
});

/** @alpha The wizard field `ui:field: ShipshapeServiceName`: DNS-1123, not already in the catalog. */
export const shipshapeServiceNameFormField = FormFieldBlueprint.make({
  name: 'shipshape-service-name',
  params: {
    field: () =>
      import('./components/fields').then(m => m.serviceNameFormField),
  },
});

/** @alpha The wizard field `ui:field: ShipshapeCostCenter`: checked against the catalog's policy. */
export const shipshapeCostCenterFormField = FormFieldBlueprint.make({
  name: 'shipshape-cost-center',
  params: {
    field: () => import('./components/fields').then(m => m.costCenterFormField),
  },
});

/**
 * Kept so that apps which list it still compile: the wizard fields are now part of the plugin
 * (its default export), so `app.packages: all` installs them.
 *
 * @alpha
 * @deprecated The wizard fields come with the plugin; remove this module from `features`.
 */
export const shipshapeScaffolderModule = createFrontendModule({
  pluginId: 'scaffolder',
  extensions: [],
});

/**
 * Shipshape for the new frontend system.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'shipshape',
  routes: {
    ownership: ownershipRouteRef,
    sloBurn: sloBurnRouteRef,
    drOverview: drOverviewRouteRef,
    configuration: configurationRouteRef,
  },
  extensions: [
    shipshapeApi,
    shipshapeOwnershipCard,
    shipshapeOwnershipPage,
    shipshapeContractCard,
    shipshapeRolloutCard,
    shipshapeRolloutContent,
    shipshapeSloCard,
    shipshapeSloContent,
    shipshapeActivityContent,
    shipshapeSloBurnPage,
    shipshapeDrOverviewPage,
    shipshapeConfigurationPage,
    shipshapeDrReadinessCard,
    shipshapeDrContent,
    // attach to the scaffolder's form fields, so feature discovery brings them along
    shipshapeServiceNameFormField,
    shipshapeCostCenterFormField,
  ],
});
