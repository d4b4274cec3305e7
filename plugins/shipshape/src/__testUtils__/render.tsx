import { Entity } from '@backstage/catalog-model';
import { RouteRef } from '@backstage/frontend-plugin-api';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { screen } from '@testing-library/react';
import { ReactElement } from 'react';
import { ShipshapeApi, ShipshapeClient, shipshapeApiRef } from '../api';

// As @backstage/plugin-permission-common's AuthorizeResult (not a dependency of this package).
const AuthorizeResult = { ALLOW: 'ALLOW', DENY: 'DENY' } as const;

const inEntity = (element: ReactElement, entity?: Entity) =>
  entity ? <EntityProvider entity={entity}>{element}</EntityProvider> : element;

/** Renders `element` (on `entity`'s page when given) with a Shipshape API of only these methods. */
function renderWithApi(
  element: ReactElement,
  api: Partial<ShipshapeApi>,
  entity?: Entity,
) {
  return renderInTestApp(inEntity(element, entity), {
    apis: [[shipshapeApiRef, api as ShipshapeApi]],
  });
}

/**
 * Renders `element` on `entity`'s page with the real ShipshapeClient against the backend at
 * http://backend/api/shipshape answered by `fetch`, with every permission allowed or every one
 * denied, and any `more` APIs (e.g. signals); `mountedRoutes` binds route refs to paths (the
 * configuration help page's, for the "Not configured" hints' links).
 */
export function renderWithBackend(
  element: ReactElement,
  entity: Entity,
  fetch: (url: string, init?: RequestInit) => Promise<Response>,
  allowed = false,
  more: Array<[unknown, unknown]> = [],
  mountedRoutes?: Record<string, RouteRef>,
) {
  return renderInTestApp(inEntity(element, entity), {
    mountedRoutes,
    apis: [
      [
        shipshapeApiRef,
        new ShipshapeClient({
          discoveryApi: {
            getBaseUrl: async () => 'http://backend/api/shipshape',
          },
          fetchApi: { fetch: fetch as typeof globalThis.fetch },
        }),
      ],
      [
        permissionApiRef,
        {
          authorize: async () => ({
            result: allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
          }),
        },
      ],
      ...more,
    ] as any,
  });
}

/**
 * A view that shows what one Shipshape API method answers: `render` it with an API, or take
 * its two tests before any data (progress while pending, the error the method throws).
 */
export function apiView<K extends keyof ShipshapeApi>(
  element: ReactElement,
  method: K,
  entity?: Entity,
) {
  const render = (api: Partial<ShipshapeApi>) =>
    renderWithApi(element, api, entity);
  return {
    render,
    showsProgress: () => async () => {
      render({ [method]: () => new Promise(() => {}) });
      expect(await screen.findByRole('progressbar')).toBeInTheDocument();
    },
    /** `message` is found as a substring. */
    showsError: (message: string) => async () => {
      const fail = async () => {
        throw new Error(message);
      };
      render({ [method]: fail });
      const escaped = message.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      expect(
        (await screen.findAllByText(new RegExp(escaped)))[0],
      ).toBeInTheDocument();
    },
  };
}
