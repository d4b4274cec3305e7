import { mockServices } from '@backstage/backend-test-utils';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { parseShipshapePolicy } from '@shipshape/plugin-shipshape-common';
import { ShipshapePolicyProcessor } from './ShipshapePolicyProcessor';
import { component, postProcess } from './__testUtils__/processing';

const group = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name },
  spec: { type: 'team', children: [] },
});

const commerce: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'System',
  metadata: {
    name: 'commerce',
    annotations: { 'shipshape.dev/cost-center': 'CC-1000' },
  },
  spec: { owner: 'group:default/payments-team' },
};

const valid = {
  'shipshape.dev/cost-center': 'CC-1001',
  'shipshape.dev/tier': 'critical',
};

/** The edge of this unit test: a catalog holding a mutable set of entities. */
function fakeCatalog(entities: Entity[]) {
  const calls: string[] = [];
  const catalog = {
    async getEntityByRef(ref: string) {
      calls.push(ref);
      if (ref === 'group:default/flaky') throw new Error('catalog unavailable');
      return entities.find(e => stringifyEntityRef(e) === ref);
    },
    // Only the filter the processor uses: one annotation's value.
    async getEntities(request: { filter: Record<string, string> }) {
      const [[key, value]] = Object.entries(request.filter);
      const annotation = key.replace(/^metadata\.annotations\./, '');
      return {
        items: entities.filter(
          e => e.metadata.annotations?.[annotation] === value,
        ),
      };
    },
  } as unknown as CatalogService;
  return { catalog, calls, entities };
}

function processorFor(
  policy: unknown,
  entities: Entity[] = [group('payments-team'), commerce],
  now = () => 0,
) {
  const fake = fakeCatalog(entities);
  const processor = ShipshapePolicyProcessor.create({
    policy: parseShipshapePolicy(policy),
    catalog: fake.catalog,
    auth: mockServices.auth(),
    logger: mockServices.logger.mock(),
    now,
  });
  return { processor, ...fake };
}

async function errorsOf(processor: ShipshapePolicyProcessor, entity: Entity) {
  const { out, errors } = await postProcess(processor, entity);
  expect(out).toBe(entity);
  return errors;
}

const RULES: Array<[string, Entity, string]> = [
  [
    'owner-present',
    component(valid, { owner: 'group:' }),
    'component:default/svc: spec.owner "group:" is not an entity ref like group:default/payments-team; set it to an existing group, e.g. group:default/payments-team',
  ],
  [
    'owner-exists',
    component(valid, { owner: 'group:default/billing-team' }),
    'component:default/svc: spec.owner "group:default/billing-team" does not exist in the catalog; register that Group or set spec.owner to an existing one',
  ],
  [
    'tag-required',
    component({ 'shipshape.dev/tier': 'critical' }),
    'component:default/svc: shipshape.dev/cost-center is missing (it has no spec.system to inherit from); add the annotation, e.g. shipshape.dev/cost-center: CC-1234',
  ],
  [
    'tag-value (pattern)',
    component({ ...valid, 'shipshape.dev/cost-center': 'finance' }),
    'component:default/svc: shipshape.dev/cost-center is "finance"; expected a value matching ^CC-\\d{4}$; set it to a valid value, e.g. shipshape.dev/cost-center: CC-1234',
  ],
  [
    'tag-value (allowed)',
    component({ ...valid, 'shipshape.dev/tier': 'gold' }),
    'component:default/svc: shipshape.dev/tier is "gold"; expected one of critical, standard, best-effort; set it to a valid value, e.g. shipshape.dev/tier: critical',
  ],
  [
    'tag-value (inherited, invalid on the system)',
    component({ 'shipshape.dev/tier': 'critical' }, { system: 'billing' }),
    'component:default/svc: inherits shipshape.dev/cost-center from system:default/billing, but there shipshape.dev/cost-center is "CC-1"; expected a value matching ^CC-\\d{4}$; fix it on system:default/billing or set it on this entity, e.g. shipshape.dev/cost-center: CC-1234',
  ],
  [
    'annotation-format',
    component({ ...valid, 'shipshape.dev/rpo': 'often' }),
    'component:default/svc: shipshape.dev/rpo is "often"; expected a positive duration like 15m, 4h or 30d; fix the value, e.g. shipshape.dev/rpo: 15m',
  ],
];

const billing: Entity = {
  ...commerce,
  metadata: {
    name: 'billing',
    annotations: { 'shipshape.dev/cost-center': 'CC-1' },
  },
};

/** A processor in `mode` for all rules, over a catalog that also holds the billing system. */
const withBilling = (mode: 'warn' | 'enforce') =>
  processorFor({ mode }, [group('payments-team'), commerce, billing]).processor;

describe('ShipshapePolicyProcessor', () => {
  it.each(RULES)(
    '%s: enforce emits the precise processing error',
    async (_rule, entity, message) => {
      const processor = withBilling('enforce');
      expect(await errorsOf(processor, entity)).toEqual([message]);
    },
  );

  it.each(RULES)(
    '%s: warn keeps the entity without a processing error, and reports it',
    async (_rule, entity, message) => {
      const processor = withBilling('warn');
      expect(await errorsOf(processor, entity)).toEqual([]);
      expect((await processor.check(entity)).violations).toEqual([
        expect.objectContaining({ message, mode: 'warn' }),
      ]);
    },
  );

  it('mixes modes per rule: only enforced rules become processing errors', async () => {
    const { processor } = processorFor({
      mode: 'warn',
      ownerExists: { mode: 'enforce' },
    });
    const entity = component(
      { 'shipshape.dev/tier': 'gold' },
      { owner: 'group:default/billing-team' },
    );
    expect(await errorsOf(processor, entity)).toEqual([
      expect.stringMatching(/billing-team" does not exist/),
    ]);
  });

  it('inherits the cost center from the system: no violation', async () => {
    const { processor } = processorFor({ mode: 'enforce' });
    const entity = component(
      { 'shipshape.dev/tier': 'standard' },
      { system: 'commerce' },
    );
    expect(await errorsOf(processor, entity)).toEqual([]);
    expect((await processor.check(entity)).tags).toContainEqual({
      name: 'shipshape.dev/cost-center',
      value: 'CC-1000',
      source: 'system:default/commerce',
    });
  });

  it('clears the violation on re-processing once the owner group appears (no restart)', async () => {
    let clock = 0;
    const { processor, entities, calls } = processorFor(
      { mode: 'enforce' },
      [group('payments-team')],
      () => clock,
    );
    const entity = component(valid, { owner: 'group:default/billing-team' });
    expect(await errorsOf(processor, entity)).toHaveLength(1);
    entities.push(group('billing-team'));
    // Within the cache's lifetime the lookup is reused ...
    clock = 5_000;
    expect(await errorsOf(processor, entity)).toHaveLength(1);
    expect(calls).toEqual(['group:default/billing-team']);
    // ... and the next processing after it expires sees the new group.
    clock = 10_001;
    expect(await errorsOf(processor, entity)).toEqual([]);
    expect(calls).toHaveLength(2);
  });

  it('never turns a failed lookup into a violation or an exception', async () => {
    const { processor } = processorFor({ mode: 'enforce' });
    expect(
      await errorsOf(
        processor,
        component(valid, { owner: 'group:default/flaky' }),
      ),
    ).toEqual([]);
  });

  it('leaves kinds outside the policy alone', async () => {
    const { processor, calls } = processorFor({ mode: 'enforce' });
    expect(await errorsOf(processor, group('x'))).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('keeps processing other entities after a huge or non-UTF-8 value', async () => {
    const { processor } = processorFor({ mode: 'enforce' });
    const garbled = Buffer.from([0x43, 0x43, 0xff]).toString('utf8');
    expect(
      await errorsOf(
        processor,
        component({ ...valid, 'shipshape.dev/cost-center': 'C'.repeat(1e6) }),
      ),
    ).toEqual([expect.stringMatching(/is 1000000 characters long/)]);
    expect(
      await errorsOf(
        processor,
        component({ ...valid, 'shipshape.dev/runbook': garbled }),
      ),
    ).toEqual([expect.stringMatching(/not valid UTF-8/)]);
    expect(await errorsOf(processor, component(valid))).toEqual([]);
  });

  it('flags a second entity claiming the same kubernetes-id, naming the first; the first stays clean', async () => {
    const id = { 'backstage.io/kubernetes-id': 'payments-api' };
    const owner = component({ ...valid, ...id }, {}, 'payments-api');
    const { processor } = processorFor({ mode: 'warn' }, [
      group('payments-team'),
      owner,
    ]);
    expect(await errorsOf(processor, owner)).toEqual([]);
    expect(
      await errorsOf(processor, component({ ...valid, ...id }, {}, 'rogue')),
    ).toEqual([
      'component:default/rogue: backstage.io/kubernetes-id=payments-api is already claimed by component:default/payments-api; two entities cannot own the same workloads (the portal refuses to deploy or roll back either); give this entity its own kubernetes-id or remove one of them',
    ]);
  });

  it('flags a second entity naming the same backup target, naming the first; the first stays clean, another target too', async () => {
    const claims = {
      'shipshape.dev/backup-target': 'payments-db',
      'backstage.io/kubernetes-id': 'payments-api',
    };
    const owner = component({ ...valid, ...claims }, {}, 'payments-api');
    const { processor } = processorFor({ mode: 'warn' }, [
      group('payments-team'),
      owner,
    ]);
    expect(await errorsOf(processor, owner)).toEqual([]);
    const targetOnly = component(
      { ...valid, 'shipshape.dev/backup-target': 'payments-db' },
      {},
      'rogue',
    );
    const targetMessage =
      "component:default/rogue: shipshape.dev/backup-target=payments-db is already claimed by component:default/payments-api; two entities cannot name the same backup target (the portal refuses to back it up or drill it for either, unless the target's allowedEntities in app-config lists both); name it on one entity only";
    expect(await errorsOf(processor, targetOnly)).toEqual([targetMessage]);
    // the target and the workload claimed at once: both said
    expect(
      await errorsOf(
        processor,
        component({ ...valid, ...claims }, {}, 'rogue'),
      ),
    ).toEqual([
      'component:default/rogue: backstage.io/kubernetes-id=payments-api is already claimed by component:default/payments-api; two entities cannot own the same workloads (the portal refuses to deploy or roll back either); give this entity its own kubernetes-id or remove one of them',
      targetMessage,
    ]);
    expect(
      await errorsOf(
        processor,
        component(
          { ...valid, 'shipshape.dev/backup-target': 'orders-db' },
          {},
          'orders-api',
        ),
      ),
    ).toEqual([]);
  });
});
