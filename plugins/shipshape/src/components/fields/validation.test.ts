import { ApiHolder, ApiRef } from '@backstage/core-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import { parseShipshapePolicy } from '@shipshape/plugin-shipshape-common';
import { shipshapeApiRef } from '../../api';
import { costCenterError, serviceNameError } from './rules';
import { costCenterValidation, serviceNameValidation } from './validation';

// The real policy of app-config.yaml (shipshape.policy), as the backend answers it.
const appPolicy = parseShipshapePolicy({
  mode: 'warn',
  tags: [
    {
      name: 'shipshape.dev/cost-center',
      pattern: '^CC-\\d{4}$',
      inheritFromSystem: true,
    },
    { name: 'shipshape.dev/tier', allowed: ['critical', 'standard'] },
  ],
});

function apiHolder(apis: Array<[ApiRef<unknown>, unknown]>): ApiHolder {
  const map = new Map(apis.map(([ref, api]) => [ref.id, api]));
  return { get: (ref: ApiRef<any>) => map.get(ref.id) as any };
}

/** Runs a field validator the way the scaffolder does and returns the errors it added. */
async function errorsOf(
  validator: typeof serviceNameValidation,
  value: string,
  apis: ApiHolder,
): Promise<string[]> {
  const errors: string[] = [];
  await validator(value, { addError: (m: string) => errors.push(m) } as any, {
    apiHolder: apis,
    formData: {},
    schema: {},
  });
  return errors;
}

describe('service name', () => {
  const catalog = (names: string[]) => {
    const getEntities = jest.fn(async (req: any) => ({
      items: names
        .filter(n => n === req.filter['metadata.name'])
        .map(n => ({
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: n, namespace: 'default' },
        })),
    }));
    return { getEntities };
  };

  it('refuses what is not a DNS-1123 label without asking the catalog', async () => {
    const api = catalog([]);
    for (const bad of ['Payments_API', '-payments', 'payments-', '9lives']) {
      expect(await serviceNameError(bad, api)).toMatch(
        /^not a DNS-1123 label: use lower-case letters/,
      );
    }
    expect(await serviceNameError(`a${'b'.repeat(63)}`, api)).toBe(
      '64 characters; a DNS-1123 label has at most 63',
    );
    expect(api.getEntities).not.toHaveBeenCalled();
  });

  it('refuses a name already in the catalog and names the entity', async () => {
    const api = catalog(['payments-api']);
    expect(await serviceNameError('payments-api', api)).toBe(
      'payments-api is already in the catalog (component:default/payments-api); choose another name',
    );
    expect(api.getEntities).toHaveBeenCalledWith({
      filter: {
        kind: ['Component', 'API', 'Resource', 'System'],
        'metadata.name': 'payments-api',
      },
      fields: ['kind', 'metadata.namespace', 'metadata.name'],
    });
    expect(await serviceNameError('orders-api', api)).toBeUndefined();
  });

  it('does not accept the name when the catalog cannot be asked', async () => {
    const failing = apiHolder([
      [
        catalogApiRef,
        {
          getEntities: async () => {
            throw new Error('503 Service Unavailable');
          },
        },
      ],
    ]);
    expect(
      await errorsOf(serviceNameValidation, 'orders-api', failing),
    ).toEqual([
      'The catalog could not be asked whether orders-api is taken (503 Service Unavailable); try again in a moment',
    ]);
    const working = apiHolder([[catalogApiRef, catalog(['payments-api'])]]);
    expect(
      await errorsOf(serviceNameValidation, 'payments-api', working),
    ).toEqual([
      'payments-api is already in the catalog (component:default/payments-api); choose another name',
    ]);
    expect(
      await errorsOf(serviceNameValidation, 'orders-api', working),
    ).toEqual([]);
  });
});

describe('cost center', () => {
  it('follows the policy it is given', () => {
    expect(costCenterError(appPolicy, 'CC-1234')).toBeUndefined();
    expect(costCenterError(appPolicy, 'CC-12')).toBe(
      'Cost center outside the policy: shipshape.dev/cost-center is "CC-12"; expected a value matching ^CC-\\d{4}$; set it to a valid value, e.g. shipshape.dev/cost-center: CC-1234',
    );
    const finance = parseShipshapePolicy({
      tags: [
        { name: 'shipshape.dev/cost-center', allowed: ['FIN-1', 'FIN-2'] },
      ],
    });
    expect(costCenterError(finance, 'FIN-2')).toBeUndefined();
    expect(costCenterError(finance, 'CC-1234')).toMatch(
      /expected one of FIN-1, FIN-2/,
    );
  });

  function backend(answer: () => Promise<Response>) {
    const fetch = jest.fn(answer);
    return {
      fetch,
      apis: apiHolder([
        [
          discoveryApiRef,
          { getBaseUrl: async (id: string) => `http://portal/api/${id}` },
        ],
        [fetchApiRef, { fetch }],
      ]),
    };
  }

  it('checks against the policy the backend answers', async () => {
    const { fetch, apis } = backend(
      async () =>
        new Response(JSON.stringify(appPolicy), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        }),
    );
    expect(await errorsOf(costCenterValidation, 'CC-12', apis)).toEqual([
      expect.stringMatching(
        /^Cost center outside the policy: .*\^CC-\\d\{4\}\$/,
      ),
    ]);
    expect(await errorsOf(costCenterValidation, 'CC-1234', apis)).toEqual([]);
    expect(fetch).toHaveBeenCalledWith(
      'http://portal/api/shipshape/policy',
      expect.objectContaining({ method: 'GET' }),
    );
  });

  it("reads the policy through the app's Shipshape API where the plugin installed one", async () => {
    const finance = parseShipshapePolicy({
      tags: [{ name: 'shipshape.dev/cost-center', allowed: ['FIN-1'] }],
    });
    const apis = apiHolder([
      [shipshapeApiRef, { getPolicy: async () => finance }],
    ]);
    expect(await errorsOf(costCenterValidation, 'FIN-1', apis)).toEqual([]);
    expect(await errorsOf(costCenterValidation, 'CC-1234', apis)).toEqual([
      expect.stringMatching(/expected one of FIN-1/),
    ]);
  });

  it('does not accept the value when the backend does not answer', async () => {
    const { apis } = backend(async () => {
      throw new TypeError('Failed to fetch');
    });
    expect(await errorsOf(costCenterValidation, 'CC-1234', apis)).toEqual([
      'The cost-center policy could not be read from the Shipshape backend (Failed to fetch), so this value cannot be checked; try again in a moment',
    ]);
    const down = backend(
      async () =>
        new Response(
          JSON.stringify({
            error: { name: 'Error', message: 'database is down' },
          }),
          { status: 500, statusText: 'Internal Server Error' },
        ),
    );
    const [error] = await errorsOf(costCenterValidation, 'CC-1234', down.apis);
    expect(error).toMatch(/^The cost-center policy could not be read .*500/);
  });
});
