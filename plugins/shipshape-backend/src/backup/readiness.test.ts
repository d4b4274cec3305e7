import { selects } from './readiness';

describe('selects (a PodDisruptionBudget selector against pod labels)', () => {
  const pod = { app: 'orders-api', tier: 'web' };

  it('matches matchLabels and every matchExpressions operator', () => {
    expect(selects({ matchLabels: { app: 'orders-api' } }, pod)).toBe(true);
    expect(selects({ matchLabels: { app: 'payments-api' } }, pod)).toBe(false);
    const expr = (operator: string, values?: string[], key = 'tier') =>
      selects({ matchExpressions: [{ key, operator, values }] }, pod);
    expect(expr('In', ['web', 'api'])).toBe(true);
    expect(expr('In', ['api'])).toBe(false);
    expect(expr('NotIn', ['api'])).toBe(true);
    expect(expr('NotIn', ['web'])).toBe(false);
    expect(expr('Exists')).toBe(true);
    expect(expr('Exists', undefined, 'zone')).toBe(false);
    expect(expr('DoesNotExist', undefined, 'zone')).toBe(true);
    expect(expr('Gt', ['1'])).toBe(false);
  });

  it('selects every pod with an empty selector and none without one', () => {
    expect(selects({}, pod)).toBe(true);
    expect(selects(undefined, pod)).toBe(false);
  });
});
