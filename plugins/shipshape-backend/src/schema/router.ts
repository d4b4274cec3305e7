import { createValidatedOpenApiRouter } from '@backstage/backend-openapi-utils';
import express from 'express';
import { spec } from './openapi.generated';

interface ValidatorError extends Error {
  errors?: Array<{ path?: string; message?: string }>;
}

/**
 * Names the field in each validation error. The validator's own message is ajv's text
 * ("request/body must NOT have additional properties"), which does not say which field; its
 * `errors` do (path `/body/extra`). Turns them into "body.extra: must NOT have additional
 * properties" before Backstage's handler makes the InputError (400) of the message.
 */
export function nameInvalidFields(
  error: ValidatorError,
  _req: express.Request,
  _res: express.Response,
  next: express.NextFunction,
): void {
  if (Array.isArray(error?.errors) && error.errors.length > 0) {
    error.message = `Invalid request: ${error.errors
      .map(e => {
        const where = (e.path ?? '').replace(/^\//, '').replace(/\//g, '.');
        return where ? `${where}: ${e.message}` : String(e.message);
      })
      .join('; ')}`;
  }
  next(error);
}

/**
 * The plugin's root router: validates every request against src/schema/openapi.yaml (every
 * route is described there; a path that is not passes through unvalidated), parses JSON
 * bodies and serves the document at /openapi.json. Bad requests answer 400 with the
 * Backstage error body naming the field.
 */
export function createOpenApiRouter(): express.Router {
  // Typed as a plain router: the typed ApiRouter of a growing spec slows the compiler down.
  const router = createValidatedOpenApiRouter(
    spec as any,
  ) as unknown as express.Router;
  // Put nameInvalidFields just before the library's error transformer (its only 4-argument
  // layer, right after the validator).
  const stack = (router as any).stack as Array<{ handle: Function }>;
  const transformer = stack.findIndex(layer => layer.handle.length === 4);
  if (transformer >= 0) {
    router.use(nameInvalidFields);
    stack.splice(transformer, 0, stack.pop()!);
  }
  return router;
}
