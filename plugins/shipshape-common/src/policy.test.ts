import {
  PolicyConfigError,
  PolicyEntity,
  SystemLookup,
  checkEntityPolicy,
  defaultShipshapePolicy,
  parseShipshapePolicy,
} from './policy';

function component(
  annotations: Record<string, unknown>,
  spec: Record<string, unknown> = { owner: 'group:default/payments-team' },
): PolicyEntity {
  return { kind: 'Component', metadata: { name: 'svc', annotations }, spec };
}

/** Both tags present and valid under the default policy. */
const valid = {
  'shipshape.dev/cost-center': 'CC-1001',
  'shipshape.dev/tier': 'critical',
};
const found = { status: 'found' as const, kind: 'Group' };
const commerce = {
  status: 'found' as const,
  ref: 'system:default/commerce',
  annotations: { 'shipshape.dev/cost-center': 'CC-1000' },
};

describe('parseShipshapePolicy', () => {
  it('defaults: cost center CC-nnnn inherited from the system, a known tier, all warn', () => {
    const policy = defaultShipshapePolicy();
    expect(policy.ownerExists.mode).toBe('warn');
    expect(policy.tags).toEqual([
      expect.objectContaining({
        name: 'shipshape.dev/cost-center',
        pattern: '^CC-\\d{4}$',
        inheritFromSystem: true,
        required: true,
        mode: 'warn',
      }),
      expect.objectContaining({
        name: 'shipshape.dev/tier',
        allowed: ['critical', 'standard', 'best-effort'],
      }),
    ]);
  });

  it('takes the top mode as the default of each rule, overridable per rule', () => {
    const policy = parseShipshapePolicy({
      mode: 'enforce',
      ownerExists: { mode: 'warn' },
      tags: [
        { name: 'shipshape.dev/cost-center', mode: 'warn' },
        { name: 'x/y' },
      ],
    });
    expect(policy.ownerPresent.mode).toBe('enforce');
    expect(policy.ownerExists.mode).toBe('warn');
    expect(policy.tags.map(t => t.mode)).toEqual(['warn', 'enforce']);
  });

  it('names the key of a bad policy', () => {
    expect(() => parseShipshapePolicy({ mode: 'strict' })).toThrow(
      new PolicyConfigError(
        'shipshape.policy.mode is "strict"; expected warn or enforce',
      ),
    );
    expect(() =>
      parseShipshapePolicy({ tags: [{ name: 'a', pattern: '(' }] }),
    ).toThrow(/shipshape.policy.tags\[0\].pattern is not a valid regular/);
    expect(() => parseShipshapePolicy({ tags: [{ allowed: 'x' }] })).toThrow(
      'shipshape.policy.tags[0].name must be an annotation name',
    );
  });
});

describe('checkEntityPolicy', () => {
  const policy = defaultShipshapePolicy();

  it('passes a well-owned, tagged entity and reports its own tags', () => {
    const report = checkEntityPolicy(policy, component(valid), {
      owner: found,
    });
    expect(report).toEqual({
      entityRef: 'component:default/svc',
      ownerRef: 'group:default/payments-team',
      violations: [],
      tags: [
        { name: 'shipshape.dev/cost-center', value: 'CC-1001', source: 'own' },
        { name: 'shipshape.dev/tier', value: 'critical', source: 'own' },
      ],
    });
  });

  it('inherits the cost center from the system and says so', () => {
    const report = checkEntityPolicy(
      policy,
      component(
        { 'shipshape.dev/tier': 'standard' },
        { owner: 'payments-team', system: 'commerce' },
      ),
      { owner: found, system: commerce },
    );
    expect(report.violations).toEqual([]);
    expect(report.tags[0]).toEqual({
      name: 'shipshape.dev/cost-center',
      value: 'CC-1000',
      source: 'system:default/commerce',
    });
  });

  it('reports the misconfigured example precisely: missing owner group, no cost center, unknown tier', () => {
    const report = checkEntityPolicy(
      policy,
      {
        kind: 'Component',
        metadata: {
          name: 'legacy-billing',
          annotations: { 'shipshape.dev/tier': 'gold' },
        },
        spec: { owner: 'group:default/billing-team' },
      },
      { owner: { status: 'missing' } },
    );
    expect(report.violations).toEqual([
      {
        rule: 'owner-exists',
        field: 'spec.owner',
        message:
          'component:default/legacy-billing: spec.owner "group:default/billing-team" does not exist in the catalog; register that Group or set spec.owner to an existing one',
        mode: 'warn',
      },
      {
        rule: 'tag-required',
        field: 'metadata.annotations.shipshape.dev/cost-center',
        message:
          'component:default/legacy-billing: shipshape.dev/cost-center is missing (it has no spec.system to inherit from); add the annotation, e.g. shipshape.dev/cost-center: CC-1234',
        mode: 'warn',
      },
      {
        rule: 'tag-value',
        field: 'metadata.annotations.shipshape.dev/tier',
        message:
          'component:default/legacy-billing: shipshape.dev/tier is "gold"; expected one of critical, standard, best-effort; set it to a valid value, e.g. shipshape.dev/tier: critical',
        mode: 'warn',
      },
    ]);
  });

  it('reports a missing or malformed owner', () => {
    expect(
      checkEntityPolicy(policy, component({}, {})).violations[0],
    ).toMatchObject({
      rule: 'owner-present',
      message: expect.stringMatching(/spec.owner is missing; set it to/),
    });
    expect(
      checkEntityPolicy(policy, component({}, { owner: 'group:' }))
        .violations[0],
    ).toMatchObject({
      rule: 'owner-present',
      message: expect.stringMatching(/is not an entity ref/),
    });
    expect(
      checkEntityPolicy(policy, component({}, { owner: 'system:commerce' }))
        .violations[0],
    ).toMatchObject({
      rule: 'owner-exists',
      message: expect.stringMatching(/is a system, not a Group or User/),
    });
  });

  it('does not invent a violation when the owner lookup itself failed', () => {
    const report = checkEntityPolicy(policy, component(valid), {
      owner: { status: 'unknown', reason: 'catalog unavailable' },
    });
    expect(report.violations).toEqual([]);
  });

  it('turns malformed, huge, non-UTF-8 and non-string tags into precise violations', () => {
    const garbled = Buffer.from([0x43, 0x43, 0xff, 0xfe]).toString('utf8');
    const cases: Array<[unknown, RegExp]> = [
      ['cc-12', /is "cc-12"; expected a value matching \^CC-\\d\{4\}\$/],
      ['C'.repeat(5000), /is 5000 characters long; at most 1024/],
      [garbled, /not valid UTF-8/],
      [42, /is not a string \(it is number\)/],
      ['   ', /is empty/],
    ];
    for (const [value, message] of cases) {
      const report = checkEntityPolicy(
        policy,
        component({
          'shipshape.dev/cost-center': value,
          'shipshape.dev/tier': 'critical',
        }),
        { owner: found },
      );
      expect(report.violations).toEqual([
        {
          rule: 'tag-value',
          field: 'metadata.annotations.shipshape.dev/cost-center',
          message: expect.stringMatching(message),
          mode: 'warn',
        },
      ]);
    }
  });

  it('says when the inherited value is itself invalid or the system is missing', () => {
    /** The first violation of a component without a cost center, in `system` as looked up. */
    const inheriting = (system: string, lookup: SystemLookup) =>
      checkEntityPolicy(
        policy,
        component(
          { 'shipshape.dev/tier': 'critical' },
          { owner: 'payments-team', system },
        ),
        { owner: found, system: lookup },
      ).violations[0].message;
    expect(
      inheriting('commerce', {
        ...commerce,
        annotations: { 'shipshape.dev/cost-center': 'X' },
      }),
    ).toMatch(
      /inherits shipshape.dev\/cost-center from system:default\/commerce, but there shipshape.dev\/cost-center is "X"/,
    );
    expect(
      inheriting('gone', { status: 'missing', ref: 'system:default/gone' }),
    ).toMatch(/\(its system system:default\/gone is not in the catalog\)/);
  });

  it('checks the other Shipshape annotations under annotation-format', () => {
    const report = checkEntityPolicy(
      parseShipshapePolicy({ mode: 'enforce', tags: [] }),
      component({ 'shipshape.dev/rto': 'soon' }),
      { owner: found },
    );
    expect(report.violations).toEqual([
      {
        rule: 'annotation-format',
        field: 'metadata.annotations.shipshape.dev/rto',
        message:
          'component:default/svc: shipshape.dev/rto is "soon"; expected a positive duration like 15m, 4h or 30d; fix the value, e.g. shipshape.dev/rto: 1h',
        mode: 'enforce',
      },
    ]);
  });

  it('ignores kinds outside the policy and optional tags that are absent', () => {
    expect(
      checkEntityPolicy(policy, { kind: 'Group', metadata: { name: 'g' } })
        .violations,
    ).toEqual([]);
    const optional = parseShipshapePolicy({
      tags: [{ name: 'shipshape.dev/cost-center', required: false }],
    });
    expect(
      checkEntityPolicy(optional, component({}), { owner: found }).violations,
    ).toEqual([]);
  });
});
