import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { parseShipshapePolicy } from '@shipshape/plugin-shipshape-common';
import { screen } from '@testing-library/react';
import { CostCenterField } from './CostCenterField';

const props = {
  onChange: jest.fn(),
  required: true,
  schema: { title: 'Cost center', description: 'Who pays.' },
  rawErrors: [],
  formData: 'CC-12',
  idSchema: { $id: 'root_costCenter' },
  uiSchema: {},
} as any;

function render(fetch: () => Promise<Response>) {
  return renderInTestApp(<CostCenterField {...props} />, {
    apis: [
      [
        discoveryApiRef,
        { getBaseUrl: async () => 'http://portal/api/shipshape' },
      ],
      [fetchApiRef, { fetch }],
    ],
  });
}

describe('CostCenterField', () => {
  it("shows the policy's rule from the backend", async () => {
    const policy = parseShipshapePolicy({
      tags: [{ name: 'shipshape.dev/cost-center', pattern: '^FIN-\\d{3}$' }],
    });
    await render(async () => new Response(JSON.stringify(policy)));
    expect(
      await screen.findByText(
        'Who pays. The cost-center policy asks for a value matching ^FIN-\\d{3}$.',
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: /Cost center/ })).toHaveValue(
      'CC-12',
    );
  });

  it('says at the field when the backend does not answer', async () => {
    await render(async () => {
      throw new TypeError('Failed to fetch');
    });
    expect(
      await screen.findByText(
        'The cost-center policy could not be read from the Shipshape backend (Failed to fetch), so this value cannot be checked; try again in a moment',
      ),
    ).toBeInTheDocument();
  });
});
