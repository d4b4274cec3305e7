import { Entity } from '@backstage/catalog-model';
import {
  CatalogProcessor,
  CatalogProcessorResult,
} from '@backstage/plugin-catalog-node';

/** Where the entities of the unit tests come from. */
export const location = {
  type: 'url',
  target: 'https://example.com/catalog-info.yaml',
};

/** A production service component (`svc` unless named) with these annotations. */
export function component(
  annotations: Record<string, string>,
  spec: Record<string, unknown> = {},
  name = 'svc',
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, annotations },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: 'group:default/payments-team',
      ...spec,
    },
  };
}

/**
 * Runs a processor's postProcessEntity on `entity`: what it returns, and what it emits
 * (errors by their message, other results by their type).
 */
export async function postProcess(processor: CatalogProcessor, entity: Entity) {
  const results: CatalogProcessorResult[] = [];
  const out = await processor.postProcessEntity!(
    entity,
    location,
    r => results.push(r),
    {} as any,
  );
  return {
    out,
    errors: results.map(r => (r.type === 'error' ? r.error.message : r.type)),
  };
}
