import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
import { ShipshapeClient, shipshapeApiRef } from '../api';
import { renderWithBackend } from '../__testUtils__/render';
import { OwnershipCard } from './ownership';
import { RolloutStatusCard } from './rollout';
import { SloCard } from './slo';
import { configKeyOf } from './ShipshapeErrorPanel';

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'orders-api',
    annotations: {
      'backstage.io/kubernetes-id': 'orders-api',
      'shipshape.dev/slo': 'availability=99.9%',
    },
  },
  spec: { type: 'service', owner: 'group:default/orders-team' },
};

/** The backend's error middleware answer (serialized @backstage/errors InputError). */
const answer = (status: number, name: string, message: string) => async () =>
  new Response(
    JSON.stringify({
      error: { name, message },
      request: { method: 'GET', url: '/x' },
      response: { statusCode: status },
    }),
    { status, headers: { 'content-type': 'application/json' } },
  );

describe('a card whose part of shipshape.* is not configured', () => {
  it.each([
    [
      'SLO',
      <SloCard />,
      'No Prometheus instance is configured (shipshape.prometheus.instances in app-config)',
      'shipshape.prometheus.instances',
      'docs/slo.md',
    ],
    [
      'Rollout',
      <RolloutStatusCard refreshIntervalMs={0} />,
      'No environments are configured: set shipshape.environments in app-config (each a name, a cluster from kubernetes.clusterLocatorMethods and a namespace)',
      'shipshape.environments',
      'docs/operations.md',
    ],
  ])(
    '%s card: names the key and its docs page, never the status code',
    async (_name, element, message, key, page) => {
      await renderWithBackend(
        element,
        entity,
        answer(400, 'InputError', message),
      );
      const hint = await screen.findByRole('alert');
      expect(hint).toHaveTextContent(`Not configured: ${key}`);
      expect(hint).toHaveTextContent(message);
      expect(hint).toHaveTextContent(`How to configure it: ${page}`);
      expect(document.body).not.toHaveTextContent(/400|Bad Request/);
    },
  );

  it('links the key to its docs page when shipshape.docsUrl is set', async () => {
    await renderInTestApp(
      <EntityProvider entity={entity}>
        <OwnershipCard />
      </EntityProvider>,
      {
        config: {
          shipshape: { docsUrl: 'https://git.example/portal/docs/' },
        },
        apis: [
          [
            shipshapeApiRef,
            new ShipshapeClient({
              discoveryApi: { getBaseUrl: async () => 'http://backend' },
              fetchApi: {
                fetch: answer(
                  404,
                  'NotFoundError',
                  "component:default/orders-api names backup target 'db', but this backend has no shipshape.backup.targets configured",
                ) as any,
              },
            }),
          ],
        ],
      },
    );
    const link = await screen.findByRole('link', {
      name: /^How to configure it \(docs\/backup\.md\)/,
    });
    expect(link).toHaveAttribute(
      'href',
      'https://git.example/portal/docs/backup.md#configuration-app-config-only',
    );
    expect(document.body).not.toHaveTextContent(/404|Not Found/);
  });

  it('shows any other failure as the server says it, readable without hovering', async () => {
    await renderWithBackend(
      <SloCard />,
      entity,
      answer(500, 'Error', 'Prometheus "local" did not answer within 5000 ms'),
    );
    const panel = await screen.findByRole('alert');
    expect(panel).toHaveTextContent(
      'Could not load' + 'Prometheus "local" did not answer within 5000 ms',
    );
    expect(document.body).not.toHaveTextContent(/Request failed with/);
  });

  it.each<[string, () => Promise<Response>, string]>([
    [
      'an empty 404 (no backend plugin at /api/shipshape)',
      async () => new Response(null, { status: 404, statusText: 'Not Found' }),
      "The Shipshape backend is not installed in this portal: add @shipshape/plugin-shipshape-backend to its backend (backend.add(import('@shipshape/plugin-shipshape-backend')) in packages/backend/src/index.ts)",
    ],
    [
      "an HTML 404 (a proxy's page)",
      async () =>
        new Response('<html>Not Found</html>', {
          status: 404,
          headers: { 'content-type': 'text/html' },
        }),
      'The Shipshape backend is not installed in this portal',
    ],
    [
      "the Shipshape backend's own 404",
      answer(404, 'NotFoundError', 'No rollout named orders-api in staging'),
      'No rollout named orders-api in staging',
    ],
  ])('shows %s as what it means', async (_name, fetch, message) => {
    await renderWithBackend(<SloCard />, entity, fetch);
    expect(await screen.findByRole('alert')).toHaveTextContent(message);
    expect(document.body).not.toHaveTextContent(/Request failed|404/);
  });

  it('takes the key, not an annotation, from a message', () => {
    expect(
      configKeyOf(
        "component:default/x names backup target 'db' in shipshape.dev/backup-target, which is not in app-config shipshape.backup.targets (configured: a)",
      ),
    ).toBe('shipshape.backup.targets');
    expect(
      configKeyOf(
        "Environment 'prod' has no operator token: set shipshape.environments[].operatorToken(File)",
      ),
    ).toBe('shipshape.environments[].operatorToken');
    expect(configKeyOf('shipshape.dev/tier is "gold"')).toBeUndefined();
  });
});
