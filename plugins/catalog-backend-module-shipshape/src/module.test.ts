import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import {
  CatalogProcessor,
  CatalogProcessorResult,
  catalogProcessingExtensionPoint,
} from '@backstage/plugin-catalog-node';
import { catalogModuleShipshape } from './module';

const location = {
  type: 'url',
  target: 'https://example.com/catalog-info.yaml',
};

function component(annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payments-api', annotations },
    spec: {
      type: 'service',
      owner: 'group:default/payments',
      lifecycle: 'production',
    },
  };
}

describe('catalog module shipshape in enforce mode', () => {
  let processor: CatalogProcessor;

  beforeAll(async () => {
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
        mockServices.rootConfig.factory({
          data: { shipshape: { policy: { mode: 'enforce' } } },
        }),
      ],
    });
    expect(processors).toHaveLength(1);
    processor = processors[0];
  });

  async function errorsFor(entity: Entity) {
    const results: CatalogProcessorResult[] = [];
    await processor.preProcessEntity!(
      entity,
      location,
      r => results.push(r),
      location,
      {} as any,
    );
    return results.map(r => (r.type === 'error' ? r.error.message : r.type));
  }

  it('accepts an entity whose Shipshape annotations all parse', async () => {
    expect(
      await errorsFor(
        component({
          'shipshape.dev/tier': 'critical',
          'shipshape.dev/rpo': '15m',
        }),
      ),
    ).toEqual([]);
  });

  it('reports each malformed annotation with the entity and the fix', async () => {
    expect(
      await errorsFor(
        component({
          'shipshape.dev/tier': 'gold',
          'shipshape.dev/rto': 'soon',
        }),
      ),
    ).toEqual([
      'component:default/payments-api: shipshape.dev/tier is "gold"; expected one of critical, standard, best-effort',
      'component:default/payments-api: shipshape.dev/rto is "soon"; expected a positive duration like 15m, 4h or 30d',
    ]);
  });
});

describe('catalog module shipshape in warn mode (the default)', () => {
  it('keeps an entity with malformed annotations: no processing error', async () => {
    const processors: CatalogProcessor[] = [];
    await startTestBackend({
      extensionPoints: [
        [
          catalogProcessingExtensionPoint,
          { addProcessor: (...p: any[]) => processors.push(...p.flat()) },
        ],
      ],
      features: [catalogModuleShipshape],
    });
    const results: CatalogProcessorResult[] = [];
    const entity = component({ 'shipshape.dev/tier': 'gold' });
    const out = await processors[0].preProcessEntity!(
      entity,
      location,
      r => results.push(r),
      location,
      {} as any,
    );
    expect(out).toBe(entity);
    expect(results).toEqual([]);
  });
});
