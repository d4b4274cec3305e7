import { createValidatedOpenApiRouter } from '@backstage/backend-openapi-utils';
import express from 'express';
import { spec } from './openapi.generated';

/**
 * The plugin's root router: validates every request against src/schema/openapi.yaml (paths not
 * yet described there pass through unvalidated), parses JSON bodies and serves the document at
 * /openapi.json.
 */
export function createOpenApiRouter(): express.Router {
  // Typed as a plain router: the typed ApiRouter of a growing spec slows the compiler down.
  return createValidatedOpenApiRouter(spec as any) as unknown as express.Router;
}
