import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { ServiceNameField } from './ServiceNameField';

const props = (formData: string) =>
  ({
    onChange: jest.fn(),
    required: true,
    schema: { description: 'A DNS-1123 label.' },
    rawErrors: [],
    formData,
    idSchema: { $id: 'root_name' },
    uiSchema: { 'ui:autofocus': true },
  } as any);

describe('ServiceNameField', () => {
  it('says at once when the name is not a DNS-1123 label', async () => {
    await renderInTestApp(<ServiceNameField {...props('Bad_Name')} />);
    const box = screen.getByRole('textbox', { name: /Name/ });
    expect(box).toHaveValue('Bad_Name');
    expect(box).toHaveAttribute('aria-invalid', 'true');
    expect(box).toHaveFocus();
    expect(
      screen.getByText(/^not a DNS-1123 label: use lower-case letters/),
    ).toBeInTheDocument();
  });

  it('shows the description under a valid name', async () => {
    await renderInTestApp(<ServiceNameField {...props('payments-api')} />);
    expect(screen.getByRole('textbox', { name: /Name/ })).toHaveAttribute(
      'aria-invalid',
      'false',
    );
    expect(screen.getByText('A DNS-1123 label.')).toBeInTheDocument();
  });
});
