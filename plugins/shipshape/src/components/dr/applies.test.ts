import { Entity } from '@backstage/catalog-model';
import { showsDrReadiness } from './applies';

const entity = (
  kind: string,
  type: string | undefined,
  annotations: Record<string, string> = {},
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind,
  metadata: { name: 'x', annotations },
  spec: type ? { type, lifecycle: 'production', owner: 'team' } : {},
});

describe('showsDrReadiness', () => {
  it('shows the card on every service, backed up or not, and on what the DR overview lists', () => {
    // a production service with no backup target: the card shows, and fails
    expect(showsDrReadiness(entity('Component', 'service'))).toBe(true);
    expect(
      showsDrReadiness(
        entity('Component', 'website', { 'shipshape.dev/tier': 'critical' }),
      ),
    ).toBe(true);
    expect(
      showsDrReadiness(
        entity('Component', 'website', {
          'backstage.io/kubernetes-id': 'shop-web',
        }),
      ),
    ).toBe(true);
    // a database resource naming the target it is backed up to
    expect(
      showsDrReadiness(
        entity('Resource', 'database', {
          'shipshape.dev/backup-target': 'payments-db',
        }),
      ),
    ).toBe(true);
  });

  it('leaves it off what nothing says runs or holds data', () => {
    expect(showsDrReadiness(entity('Component', 'library'))).toBe(false);
    expect(showsDrReadiness(entity('API', 'openapi'))).toBe(false);
    expect(
      showsDrReadiness(
        entity('System', undefined, { 'shipshape.dev/tier': 'critical' }),
      ),
    ).toBe(false);
  });
});
