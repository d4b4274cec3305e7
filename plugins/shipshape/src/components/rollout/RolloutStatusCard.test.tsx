import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { act, fireEvent, screen, within } from '@testing-library/react';
// Real payloads: healthy.json from the portal backend on the local stack (payments-api),
// stalled.json written by plugins/shipshape-backend's rollout.test.ts (SHIPSHAPE_WRITE_FIXTURES=1).
import healthy from './__fixtures__/healthy.json';
import stalled from './__fixtures__/stalled.json';
// canaryPaused.json, canaryAborted.json: written by plugins/shipshape-backend's
// progressive.stack.test.ts (a canary with the generated SLO analysis on the stack).
import canaryPaused from './__fixtures__/canaryPaused.json';
import canaryAborted from './__fixtures__/canaryAborted.json';
import { renderWithBackend } from '../../__testUtils__/render';
import { configurationRouteRef } from '../../routes';
import { RolloutStatusCard, strategyText } from './RolloutStatusCard';

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    namespace: 'default',
    annotations: { 'backstage.io/kubernetes-id': 'payments-api' },
  },
  spec: {
    type: 'service',
    owner: 'group:default/payments-team',
    lifecycle: 'production',
  },
};

function render(
  fetchImpl: (url: string) => Promise<Response>,
  options: {
    allowed?: boolean;
    refreshIntervalMs?: number;
    e?: any;
    pods?: 'all';
  } = {},
) {
  const fetch = jest.fn(fetchImpl);
  renderWithBackend(
    <RolloutStatusCard
      refreshIntervalMs={options.refreshIntervalMs}
      pods={options.pods}
    />,
    options.e ?? entity,
    fetch,
    options.allowed,
  );
  return fetch;
}

/** Hides or shows the page as a browser tab switch does, then lets `ms` of timers run. */
async function setPageHidden(hidden: boolean, ms?: number) {
  Object.defineProperty(document, 'hidden', {
    configurable: true,
    get: () => hidden,
  });
  await act(async () => {
    document.dispatchEvent(new Event('visibilitychange'));
    if (ms !== undefined) jest.advanceTimersByTime(ms);
  });
}

// usePermission caches decisions by permission and resource (SWR): one entity per test.
const named = (name: string) => ({
  ...entity,
  metadata: { ...entity.metadata, name },
});

const json = (body: unknown, status = 200) =>
  Promise.resolve(
    new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json' },
    }),
  );

describe('RolloutStatusCard', () => {
  it('shows progress while loading', async () => {
    render(() => new Promise(() => {}), { e: named('loading-api') });
    expect(await screen.findByRole('progressbar')).toBeInTheDocument();
  });

  it("shows the backend's error", async () => {
    render(
      () =>
        json(
          {
            error: {
              name: 'NotFoundError',
              message: 'No entity component:default/payments-api',
            },
            response: { statusCode: 404 },
          },
          404,
        ),
      { e: named('error-api') },
    );
    expect(
      await screen.findByText(/No entity component:default\/payments-api/),
    ).toBeInTheDocument();
  });

  it('shows each environment of a healthy service, and Deploy for a permitted user', async () => {
    const fetch = render(() => json(healthy), { allowed: true });
    const staging = await screen.findByRole('region', {
      name: 'environment staging',
    });
    expect(within(staging).getByText('local/staging')).toBeInTheDocument();
    expect(within(staging).getByText('3/3/3 of 3')).toBeInTheDocument();
    expect(within(staging).getByText('rev 1 (1.4.2)')).toBeInTheDocument();
    expect(within(staging).getByText('complete')).toBeInTheDocument();
    expect(
      screen.getByRole('region', { name: 'environment production' }),
    ).toBeInTheDocument();
    expect(fetch).toHaveBeenCalledWith(
      'http://backend/api/shipshape/entities/component/default/payments-api/rollout',
      expect.objectContaining({ method: 'GET' }),
    );
    const deploy = await screen.findByRole(
      'link',
      { name: 'Deploy' },
      { timeout: 5000 },
    );
    expect(decodeURIComponent(deploy.getAttribute('href')!)).toContain(
      '/create/templates/default/shipshape-deploy-service?formData={"entityRef":"component:default/payments-api"}',
    );
  });

  it("flags a complete rollout of an image by a mutable tag such as 'latest'", async () => {
    const latest = JSON.parse(
      JSON.stringify(healthy).replace(
        /payments-api:1\.4\.2/g,
        'payments-api:latest',
      ),
    );
    render(() => json(latest), { e: named('latest-api') });
    const staging = await screen.findByRole('region', {
      name: 'environment staging',
    });
    // still 'complete', but as a warning, with the image and why
    expect(within(staging).getByLabelText('Status warning')).toHaveTextContent(
      'complete',
    );
    expect(within(staging).queryByLabelText('Status ok')).toBeNull();
    expect(
      within(staging).getByText(
        'Mutable image tag: registry.example.test/shipshape/payments-api:latest (tag latest moves); deploy by version or digest',
      ),
    ).toBeInTheDocument();
  });

  it('shows a stalled rollout with its pod errors and last operation, and an unreachable cluster beside it', async () => {
    render(() => json(stalled), { allowed: false, e: named('stuck-app') });
    const env = await screen.findByRole('region', { name: 'environment test' });
    expect(within(env).getByText('stalled')).toBeInTheDocument();
    expect(
      within(env).getAllByText(/ProgressDeadlineExceeded/).length,
    ).toBeGreaterThan(0);
    expect(within(env).getByText('rev 2 (5.0.0-bad)')).toBeInTheDocument();
    expect(within(env).getByText('previous rev 1 (1.0.0)')).toBeInTheDocument();
    expect(
      within(env).getByText(
        /CrashLoopBackOff — back-off restarting failed container \(simulated bad release\)/,
      ),
    ).toBeInTheDocument();
    expect(within(env).getByText(/deploy failed/)).toBeInTheDocument();
    expect(within(env).getByText(/by owner-user/)).toBeInTheDocument();
    const down = screen.getByRole('region', { name: 'environment down' });
    expect(
      within(down).getByText(/Cluster down is unreachable: .*ECONNREFUSED/),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('link', { name: 'Deploy' }),
    ).not.toBeInTheDocument();
    const denied = screen.getByRole('region', { name: 'environment denied' });
    expect(
      within(denied).getByText(
        'Cluster denied refused access: the cluster refused the read token (HTTP 401)',
      ),
    ).toBeInTheDocument();
  });

  it('shows a paused canary: its steps, weight and SLO analysis; Promote runs the operation', async () => {
    const fetch = render(
      url =>
        url.endsWith('/promote')
          ? json({ action: 'promote', dryRun: false, rollouts: ['x'] })
          : json(canaryPaused),
      { allowed: true, e: named('canary-api') },
    );
    const env = await screen.findByRole(
      'region',
      { name: 'environment test' },
      { timeout: 5000 },
    );
    const w = canaryPaused.environments[0].workloads[0];
    expect(
      within(env).getByText('Argo Rollout, Canary step 3/3, weight 50%'),
    ).toBeInTheDocument();
    expect(
      within(env).getByLabelText(`canary steps of ${w.name}`),
    ).toHaveTextContent(
      `1. setWeight 50 · 2. analysis ${w.name}-slo · 3. pause until promoted`,
    );
    expect(within(env).getByText('3. pause until promoted')).toHaveAttribute(
      'aria-current',
      'step',
    );
    expect(
      within(env).getByLabelText(`analysis runs of ${w.name}`),
    ).toHaveTextContent(
      `Analysis of rev 2: Successful · slo-${w.name}-availability = [0] (Successful; fails when len(result) > 0 && result[0] > 0.0144)`,
    );
    expect(
      within(env).getByRole('button', { name: `Abort ${w.name}` }),
    ).toBeInTheDocument();
    expect(
      within(env).queryByRole('button', { name: `Retry ${w.name}` }),
    ).toBeNull();
    fireEvent.click(
      await within(env).findByRole('button', { name: `Promote ${w.name}` }),
    );
    await act(async () => {});
    expect(fetch).toHaveBeenCalledWith(
      'http://backend/api/shipshape/entities/component/default/canary-api/promote',
      expect.objectContaining({
        method: 'POST',
        body: JSON.stringify({ environment: 'test' }),
      }),
    );
  }, 30_000);

  it('says why a canary was aborted (the metric and its value), and shows the backend refusing a Retry', async () => {
    const fetchMock = render(
      url =>
        url.endsWith('/retry')
          ? json(
              {
                error: {
                  name: 'ConflictError',
                  message:
                    'Rollout x/y in environment test is not aborted (phase Progressing), so there is nothing to retry',
                },
                response: { statusCode: 409 },
              },
              409,
            )
          : json(canaryAborted),
      { allowed: true, e: named('aborted-api') },
    );
    const env = await screen.findByRole(
      'region',
      { name: 'environment test' },
      { timeout: 5000 },
    );
    const w = canaryAborted.environments[0].workloads[0];
    const metric = w.analysisRuns![0].metrics[0];
    expect(within(env).getByText('stalled')).toBeInTheDocument();
    expect(
      within(env).getByText(
        new RegExp(
          `slo-${w.name}-availability = \\[${metric.value
            .slice(1, -1)
            .replace(
              '.',
              '\\.',
            )}\\] \\(fails when len\\(result\\) > 0 && result\\[0\\] > 0\\.0144\\)$`,
        ),
      ),
    ).toBeInTheDocument();
    expect(
      within(env).getByLabelText(`analysis runs of ${w.name}`),
    ).toHaveTextContent(/^Analysis of rev 3: Failed/);
    expect(
      within(env).queryByRole('button', { name: `Promote ${w.name}` }),
    ).toBeNull();
    fireEvent.click(
      await within(env).findByRole('button', { name: `Retry ${w.name}` }),
    );
    expect(
      await within(env).findByText(/nothing to retry/, {}, { timeout: 5000 }),
    ).toBeInTheDocument();
    expect(fetchMock).toHaveBeenCalledWith(
      'http://backend/api/shipshape/entities/component/default/aborted-api/retry',
      expect.objectContaining({ method: 'POST' }),
    );
  }, 30_000);

  it('refreshes on its own, and not while the tab is hidden', async () => {
    jest.useFakeTimers();
    try {
      const fetch = render(() => json(healthy), {
        refreshIntervalMs: 1000,
        e: named('refresh-api'),
      });
      await screen.findByRole('region', { name: 'environment staging' });
      const calls = () => fetch.mock.calls.length;
      const first = calls();
      await act(async () => {
        jest.advanceTimersByTime(1000);
      });
      expect(calls()).toBe(first + 1);
      await setPageHidden(true, 5000);
      expect(calls()).toBe(first + 1);
      await setPageHidden(false);
      expect(calls()).toBe(first + 2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('says so when the entity has no kubernetes-id, without calling the backend', async () => {
    const fetch = render(() => json(healthy), {
      e: { ...entity, metadata: { name: 'x', namespace: 'default' } },
    });
    expect(
      await screen.findByText(/has no backstage.io\/kubernetes-id annotation/),
    ).toBeInTheDocument();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('describes Argo Rollouts strategies (canary step and weight, blue-green selectors)', () => {
    const base = stalled.environments[0].workloads[0] as any;
    expect(
      strategyText({
        ...base,
        kind: 'Rollout',
        strategy: {
          type: 'Canary',
          canaryStep: 2,
          canarySteps: 4,
          canaryWeight: 25,
        },
      }),
    ).toBe('Argo Rollout, Canary step 2/4, weight 25%');
    expect(
      strategyText({
        ...base,
        kind: 'Rollout',
        strategy: {
          type: 'BlueGreen',
          activeSelector: '6c9f',
          previewSelector: '7d8e',
        },
      }),
    ).toBe('Argo Rollout, BlueGreen (active 6c9f, preview 7d8e)');
    expect(strategyText(base)).toBe('RollingUpdate (surge 1, unavailable 0)');
  });

  it('lists every pod in the tab variant', async () => {
    render(() => json(stalled), { e: named('tab-api'), pods: 'all' });
    const env = await screen.findByRole('region', { name: 'environment test' });
    const pods = within(env).getByRole('list', { name: 'pods of stuck-app' });
    const items = within(pods).getAllByRole('listitem');
    expect(items).toHaveLength(3);
    expect(
      items.filter(i =>
        /current revision · not ready \(Running\)/.test(i.textContent ?? ''),
      ),
    ).toHaveLength(1);
    expect(
      items.filter(i =>
        /previous revision · ready · 0 restarts/.test(i.textContent ?? ''),
      ),
    ).toHaveLength(2);
  });
});

describe("RolloutStatusCard's Deploy link and the deploy template", () => {
  // what templates/deploy-service registers in the catalog
  const template = {
    apiVersion: 'scaffolder.backstage.io/v1beta3',
    kind: 'Template',
    metadata: { name: 'shipshape-deploy-service', namespace: 'default' },
    spec: { type: 'service', steps: [] },
  };
  const routes = { '/shipshape/configuration': configurationRouteRef };

  /** Two cards (the card and the tab on one page) with a permitted user and this catalog. */
  function renderWithCatalog(name: string, catalogApi: object) {
    renderWithBackend(
      <>
        <RolloutStatusCard refreshIntervalMs={0} />
        <RolloutStatusCard refreshIntervalMs={0} pods="all" />
      </>,
      named(name),
      () => json(healthy),
      true,
      [[catalogApiRef, catalogApiMock.mock(catalogApi)]],
      routes,
    );
  }
  const deployLinks = () =>
    screen.findAllByRole('link', { name: 'Deploy' }, { timeout: 5000 });

  it('keeps Deploy when the catalog has the template, asking the catalog once for both cards', async () => {
    const catalog = catalogApiMock({ entities: [template] });
    const getEntityByRef = jest.fn(catalog.getEntityByRef.bind(catalog));
    renderWithCatalog('registered-api', { getEntityByRef });
    expect(await deployLinks()).toHaveLength(2);
    await act(async () => {});
    expect(getEntityByRef).toHaveBeenCalledTimes(1);
    expect(getEntityByRef).toHaveBeenCalledWith(
      'template:default/shipshape-deploy-service',
    );
    // the catalog answered with the template (not an error that keeps the link too)
    await expect(getEntityByRef.mock.results[0].value).resolves.toMatchObject({
      kind: 'Template',
    });
    expect(screen.queryByText(/Deploy template not registered/)).toBeNull();
  });

  it('says the template is not registered, linking to catalog.locations on the configuration page, when the catalog has none', async () => {
    const catalog = catalogApiMock({ entities: [] });
    const getEntityByRef = jest.fn(catalog.getEntityByRef.bind(catalog));
    renderWithCatalog('unregistered-api', { getEntityByRef });
    const hints = await screen.findAllByText(
      /Deploy template not registered:/,
      undefined,
      { timeout: 5000 },
    );
    expect(hints).toHaveLength(2);
    expect(hints[0]).toHaveTextContent(
      'Deploy template not registered: add the Shipshape templates to catalog.locations',
    );
    const help = within(hints[0]).getByRole('link', {
      name: 'add the Shipshape templates to catalog.locations',
    });
    expect(help).toHaveAttribute(
      'href',
      '/shipshape/configuration#catalog.locations',
    );
    expect(screen.queryByRole('link', { name: 'Deploy' })).toBeNull();
    expect(getEntityByRef).toHaveBeenCalledTimes(1);
  });

  it('keeps Deploy while the catalog is asked and when it fails (the check is advisory)', async () => {
    let fail: (e: Error) => void = () => {};
    const getEntityByRef = jest.fn(
      () =>
        new Promise<undefined>((_, reject) => {
          fail = reject;
        }),
    );
    renderWithCatalog('catalog-down-api', { getEntityByRef });
    expect(await deployLinks()).toHaveLength(2);
    expect(getEntityByRef).toHaveBeenCalledTimes(1);
    await act(async () => fail(new Error('503 Service Unavailable')));
    expect(await deployLinks()).toHaveLength(2);
    expect(screen.queryByText(/Deploy template not registered/)).toBeNull();
  });
});
