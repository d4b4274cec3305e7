import { createValidatedOpenApiRouter } from '@backstage/backend-openapi-utils';
import { spec } from './openapi.generated';

/**
 * The plugin's root router: validates every request against src/schema/openapi.yaml (paths not
 * yet described there pass through unvalidated), parses JSON bodies and serves the document at
 * /openapi.json.
 */
export function createOpenApiRouter() {
  return createValidatedOpenApiRouter(spec as any);
}
