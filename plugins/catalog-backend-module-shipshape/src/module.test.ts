import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import {
  CatalogProcessor,
  catalogProcessingExtensionPoint,
} from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { catalogModuleShipshape } from './module';
import { component, postProcess } from './__testUtils__/processing';

const legacyBilling = component(
  { 'shipshape.dev/tier': 'gold' },
  { owner: 'group:default/billing-team', lifecycle: 'deprecated' },
  'legacy-billing',
);

async function processorWith(data?: object) {
  const processors: CatalogProcessor[] = [];
  await startTestBackend({
    extensionPoints: [
      [
        catalogProcessingExtensionPoint,
        { addProcessor: (...p: any[]) => processors.push(...p.flat()) },
      ],
    ],
    features: [
      catalogModuleShipshape,
      catalogServiceMock.factory({ entities: [] }),
      ...(data ? [mockServices.rootConfig.factory({ data })] : []),
    ],
  });
  expect(processors).toHaveLength(1);
  return processors[0];
}

describe('catalog module shipshape', () => {
  it('in enforce mode, reports every violation of the misconfigured example', async () => {
    const processor = await processorWith({
      shipshape: { policy: { mode: 'enforce' } },
    });
    expect((await postProcess(processor, legacyBilling)).errors).toEqual([
      expect.stringMatching(
        /^component:default\/legacy-billing: spec.owner "group:default\/billing-team" does not exist/,
      ),
      expect.stringMatching(/shipshape.dev\/cost-center is missing/),
      expect.stringMatching(/shipshape.dev\/tier is "gold"/),
    ]);
  });

  it('in warn mode (the default) keeps the entity: no processing error', async () => {
    const processor = await processorWith();
    const { out, errors } = await postProcess(processor, legacyBilling);
    expect(out).toBe(legacyBilling);
    expect(errors).toEqual([]);
  });

  it('refuses to start with a policy it cannot read, naming the key', async () => {
    await expect(
      processorWith({ shipshape: { policy: { mode: 'strict' } } }),
    ).rejects.toThrow(
      /shipshape.policy.mode is "strict"; expected warn or enforce/,
    );
  });
});
