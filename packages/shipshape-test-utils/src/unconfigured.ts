import { BackendFeature } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';

/**
 * The Shipshape backend `plugin` on a portal that set nothing under `shipshape.*` (empty
 * config), with one entity in the catalog: orders-api, annotated for every card. The frontend's
 * recorded answers (plugins/shipshape/src/__fixtures__/unconfiguredBackend.json) are this
 * backend's.
 */
export function startUnconfiguredBackend(plugin: BackendFeature) {
  return startTestBackend({
    features: [
      plugin,
      mockServices.rootConfig.factory({ data: {} }),
      catalogServiceMock.factory({
        entities: [
          {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: {
              name: 'orders-api',
              namespace: 'default',
              annotations: {
                'backstage.io/kubernetes-id': 'orders-api',
                'shipshape.dev/slo': 'availability=99.9%',
                'shipshape.dev/backup-target': 'orders-db',
              },
            },
            spec: { type: 'service', owner: 'group:default/orders-team' },
          },
        ],
      }),
    ],
  });
}
