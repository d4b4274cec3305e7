import {
  createExtensionTester,
  renderInTestApp,
} from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
import { shipshapeContractCard } from './alpha';
import { ContractCard } from './components/ContractCard';

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'orders-api',
    annotations: { 'shipshape.dev/tier': 'gold', 'shipshape.dev/rpo': '15m' },
  },
  spec: {
    type: 'service',
    owner: 'group:default/orders',
    lifecycle: 'production',
  },
};

describe('shipshape contract card', () => {
  it('is an entity card extension for catalog kinds', () => {
    const tester = createExtensionTester(shipshapeContractCard);
    expect(tester.query(shipshapeContractCard)).toBeDefined();
  });

  it('shows declared values, missing ones, and the precise error of a bad one', async () => {
    await renderInTestApp(
      <EntityProvider entity={entity}>
        <ContractCard />
      </EntityProvider>,
    );
    expect(await screen.findByText('Shipshape contract')).toBeInTheDocument();
    expect(screen.getByText('15m')).toBeInTheDocument();
    expect(
      screen.getByText(
        'shipshape.dev/tier is "gold"; expected one of critical, standard, best-effort',
      ),
    ).toBeInTheDocument();
    expect(screen.getAllByText('not declared').length).toBeGreaterThan(0);
  });
});
