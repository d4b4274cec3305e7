import { fireEvent, screen, within } from '@testing-library/react';

// Real payloads: deployHistory.json written by plugins/shipshape-backend's helm.stack.test.ts
// (SHIPSHAPE_WRITE_FIXTURES=1) from the backend on the local stack, with the real helm.
import history from './__fixtures__/deployHistory.json';
import healthy from './__fixtures__/healthy.json';
import { renderWithBackend } from '../../__testUtils__/render';
import { RolloutStatusCard } from './RolloutStatusCard';

const NAME = history.kubernetesId;
const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: NAME,
    namespace: 'default',
    annotations: { 'backstage.io/kubernetes-id': NAME },
  },
  spec: {
    type: 'service',
    owner: 'group:default/team-a',
    lifecycle: 'production',
  },
};

const json = (body: unknown) =>
  Promise.resolve(
    new Response(JSON.stringify(body), {
      status: 200,
      headers: { 'Content-Type': 'application/json' },
    }),
  );

describe('the Rollout card deploy history', () => {
  it('lists every Helm release per environment when opened, and a portal one shows its operation log', async () => {
    const staging = history.environments[0];
    const portal = staging.releases.find(
      r => r.operation?.kind === 'deploy' && r.operation.status === 'succeeded',
    )!;
    const fetch = jest.fn(async (url: string) => {
      if (url.endsWith('/deploy-history')) return json(history);
      if (url.includes(`/operations/${portal.operation!.id}/log`)) {
        return json({
          lines: [
            {
              seq: 1,
              at: '2026-12-06T21:00:00Z',
              level: 'info',
              message: `helm upgrade ${NAME} -n ${NAME}: revision 2`,
            },
          ],
          next: 1,
          done: true,
        });
      }
      return json(healthy);
    });
    renderWithBackend(
      <RolloutStatusCard refreshIntervalMs={0} />,
      entity,
      fetch,
    );

    const open = await screen.findByRole('button', { name: 'Deploy history' });
    // loaded only when opened
    expect(fetch.mock.calls.some(([u]) => u.endsWith('/deploy-history'))).toBe(
      false,
    );
    fireEvent.click(open);

    const section = await screen.findByRole('region', {
      name: 'deploy history staging',
    });
    expect(
      within(section).getByText(`staging · Helm release ${NAME}/${NAME}`),
    ).toBeInTheDocument();
    const rows = within(section).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(staging.releases.length);
    // newest first: revision, image, who/why, outcome
    expect(
      within(rows[0]).getByText(String(staging.releases[0].revision)),
    ).toBeInTheDocument();
    const portalRow = rows[staging.releases.indexOf(portal)];
    expect(
      within(portalRow).getByText(
        /portal deploy by someone: hotfix for the checkout timeout/,
      ),
    ).toBeInTheDocument();
    expect(
      within(portalRow).getByText(portal.images[0].image),
    ).toBeInTheDocument();
    // the workflow's release: Helm's own description, no operation
    const workflow = staging.releases.find(r => !r.operation)!;
    expect(
      within(rows[staging.releases.indexOf(workflow)]).getByText(
        workflow.description,
      ),
    ).toBeInTheDocument();

    fireEvent.click(
      within(portalRow).getByRole('button', { name: 'Operation log' }),
    );
    const log = await screen.findByRole('list', {
      name: `log of operation ${portal.operation!.id}`,
    });
    expect(within(log).getByText(/helm upgrade/)).toBeInTheDocument();
  });
});
