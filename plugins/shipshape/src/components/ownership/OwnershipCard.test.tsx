import { OwnershipView } from '@shipshape/plugin-shipshape-common';
import { screen, within } from '@testing-library/react';
import { apiView } from '../../__testUtils__/render';
import { OwnershipCard } from './OwnershipCard';

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'legacy-billing', namespace: 'default' },
  spec: {
    type: 'service',
    owner: 'group:default/billing-team',
    lifecycle: 'deprecated',
  },
};

const legacyBilling: OwnershipView = {
  entityRef: 'component:default/legacy-billing',
  owner: { ref: 'group:default/billing-team', kind: 'group', exists: false },
  tags: [],
  violations: [
    {
      rule: 'owner-exists',
      field: 'spec.owner',
      message:
        'component:default/legacy-billing: spec.owner "group:default/billing-team" does not exist in the catalog; register that Group or set spec.owner to an existing one',
      mode: 'warn',
    },
    {
      rule: 'tag-value',
      field: 'metadata.annotations.shipshape.dev/tier',
      message:
        'component:default/legacy-billing: shipshape.dev/tier is "gold"; expected one of critical, standard, best-effort; set it to a valid value, e.g. shipshape.dev/tier: critical',
      mode: 'enforce',
    },
  ],
  cost: { status: 'no-cluster' },
  labels: { status: 'no-cluster', objects: [] },
};

const paymentsApi: OwnershipView = {
  entityRef: 'component:default/payments-api',
  owner: {
    ref: 'group:default/payments-team',
    kind: 'Group',
    displayName: 'Payments',
    email: 'payments@example.com',
    exists: true,
    parent: {
      ref: 'group:default/engineering',
      kind: 'Group',
      displayName: 'Engineering',
    },
  },
  tags: [
    {
      name: 'shipshape.dev/cost-center',
      value: 'CC-1000',
      source: 'system:default/commerce',
    },
    { name: 'shipshape.dev/tier', value: 'critical', source: 'own' },
  ],
  violations: [],
  cost: {
    status: 'ok',
    currency: 'USD',
    monthlyUsd: 16.16,
    prices: {
      cpuCoreHourUsd: 0.031611,
      memoryGibHourUsd: 0.004237,
      hoursPerMonth: 730,
    },
    environments: [
      {
        cluster: 'local',
        namespace: 'production',
        environment: 'production',
        pods: 3,
        cpuCores: 0.3,
        memoryGib: 0.375,
        monthlyUsd: 8.08,
      },
      {
        cluster: 'local',
        namespace: 'staging',
        environment: 'staging',
        pods: 3,
        cpuCores: 0.3,
        memoryGib: 0.375,
        monthlyUsd: 8.08,
      },
    ],
    errors: [],
  },
  labels: {
    status: 'ok',
    objects: [
      {
        cluster: 'local',
        namespace: 'production',
        kind: 'Deployment',
        name: 'payments-api',
        missing: ['shipshape.dev/service', 'shipshape.dev/owner'],
        mismatched: [
          {
            label: 'shipshape.dev/tier',
            expected: 'critical',
            actual: 'standard',
          },
        ],
      },
    ],
  },
};

const view = apiView(<OwnershipCard />, 'getEntityOwnership', entity);
const render = view.render;

describe('OwnershipCard', () => {
  it('shows progress while loading', view.showsProgress());

  it(
    'shows the backend error',
    view.showsError('No entity component:default/legacy-billing'),
  );

  it('shows the violations with their fix, the missing owner and that no cluster is configured', async () => {
    const calls: unknown[] = [];
    render({
      getEntityOwnership: async ref => {
        calls.push(ref);
        return legacyBilling;
      },
    });
    const list = await screen.findByRole('list', { name: 'Policy violations' });
    expect(
      within(list).getByText(legacyBilling.violations[0].message),
    ).toBeInTheDocument();
    expect(
      within(list).getByText(legacyBilling.violations[1].message),
    ).toBeInTheDocument();
    expect(within(list).getByText('enforce')).toBeInTheDocument();
    expect(screen.getByText(/not in the catalog/)).toBeInTheDocument();
    expect(screen.getByText('No valid cost tags')).toBeInTheDocument();
    expect(
      screen.getByText('Not configured:').closest('[role="alert"]'),
    ).toHaveTextContent(
      'No environments are configured, so the cost cannot be estimated: set shipshape.environments in app-config.',
    );
    expect(screen.queryByText('$0.00')).not.toBeInTheDocument();
    expect(calls).toEqual([
      { kind: 'Component', namespace: 'default', name: 'legacy-billing' },
    ]);
  });

  it('shows owner contact and parent, inherited tags, cost per environment and missing labels', async () => {
    render({ getEntityOwnership: async () => paymentsApi });
    const tags = await screen.findByRole('table', { name: 'Cost tags' });
    expect(
      within(tags).getByText('inherited from system:default/commerce'),
    ).toBeInTheDocument();
    expect(screen.getByText('payments@example.com')).toHaveAttribute(
      'href',
      'mailto:payments@example.com',
    );
    expect(
      screen.getByText(/Engineering \(group:default\/engineering\)/),
    ).toBeInTheDocument();
    expect(screen.getByText('None: the policy is met')).toBeInTheDocument();
    const cost = screen.getByRole('table', {
      name: 'Monthly cost per environment',
    });
    expect(within(cost).getAllByText('$8.08')).toHaveLength(2);
    expect(within(cost).getByText('$16.16')).toBeInTheDocument();
    const labels = screen.getByRole('list', { name: 'Objects missing labels' });
    expect(
      within(labels).getByText(
        'missing shipshape.dev/service, shipshape.dev/owner; shipshape.dev/tier is "standard", the catalog says "critical"',
      ),
    ).toBeInTheDocument();
  });
});
