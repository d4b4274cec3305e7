import { createValidatedOpenApiRouterFromGeneratedEndpointMap } from '@backstage/backend-openapi-utils';
import { InputError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import * as OpenApiValidator from 'express-openapi-validator';
import { EndpointMap, spec } from './openapi';

interface ValidatorError extends Error {
  errors?: Array<{ path?: string; message?: string; errorCode?: string }>;
}

/** The description of the request's JSON body schema in the document, if it has one. */
function bodyRule(req: express.Request): string | undefined {
  const operation = (req as { openapi?: { schema?: any } }).openapi?.schema;
  let schema = operation?.requestBody?.content?.['application/json']?.schema;
  const ref = /^#\/components\/schemas\/(.+)$/.exec(schema?.$ref ?? '');
  if (ref) schema = (spec.components.schemas as Record<string, any>)[ref[1]];
  const text: unknown = schema?.description;
  return typeof text === 'string'
    ? text.replace(/\.$/, '').replace(/^./, c => c.toLowerCase())
    : undefined;
}

/**
 * Turns a validation error into an InputError (400) whose message names each field. The
 * validator's own message is ajv's text ("request/body must NOT have additional
 * properties"), which does not say which field; its `errors` do (path `/body/extra`):
 * "Invalid request: body.extra: must NOT have additional properties". A rule across a body's
 * fields (anyOf or not in the document) fails as "must match a schema in anyOf" or "must NOT
 * be valid", naming nothing: the body schema's description, which states the rule, answers.
 */
export function nameInvalidFields(
  error: ValidatorError,
  req: express.Request,
  _res: express.Response,
  next: express.NextFunction,
): void {
  if (!Array.isArray(error?.errors) || error.errors.length === 0) {
    next(error);
    return;
  }
  const acrossFields = error.errors.some(
    e => e.path === '/body' && /^(anyOf|oneOf|not)\./.test(e.errorCode ?? ''),
  );
  const rule = acrossFields ? bodyRule(req) : undefined;
  if (rule) {
    next(new InputError(`Invalid request: body: ${rule}`));
    return;
  }
  const fields = error.errors.map(e => {
    const where = (e.path ?? '').replace(/^\//, '').replace(/\//g, '.');
    return where ? `${where}: ${e.message}` : String(e.message);
  });
  next(new InputError(`Invalid request: ${fields.join('; ')}`));
}

/**
 * Validates requests against openapi.yaml with the options Backstage's
 * createValidatedOpenApiRouter uses, and names the invalid fields (nameInvalidFields) in a
 * router of its own, so the error reaches the plugin's error handler already an InputError.
 */
function validateRequests(): express.Router {
  const router = express.Router();
  router.use(
    OpenApiValidator.middleware({
      apiSpec: spec,
      validateRequests: {
        coerceTypes: false,
        allowUnknownQueryParameters: false,
      },
      useRequestUrl: true,
      ignoreUndocumented: true,
      validateResponses: false,
    }),
  );
  router.use(nameInvalidFields);
  return router;
}

/**
 * An express Router whose route methods know the document's paths, parameters, bodies and
 * answers (from the generated EndpointMap).
 */
export type ShipshapeApiRouter = ReturnType<
  typeof createValidatedOpenApiRouterFromGeneratedEndpointMap<EndpointMap>
>;

/**
 * The plugin's root router, from the document's generated EndpointMap
 * (src/schema/openapi/generated, `yarn generate:openapi`): parses JSON bodies, validates
 * every request against src/schema/openapi.yaml (every route is described there; a path that
 * is not passes through unvalidated) and serves the document at /openapi.json. Bad requests
 * answer 400 with the Backstage error body naming the field.
 */
export function createOpenApiRouter(): ShipshapeApiRouter {
  return createValidatedOpenApiRouterFromGeneratedEndpointMap<EndpointMap>(
    spec,
    {
      middleware: [express.json(), validateRequests()],
      // requests are validated (naming the fields) by the middleware above
      validatorOptions: { validateRequests: false },
    },
  );
}

/**
 * A feature's router, typed by the same generated EndpointMap: a path the document does not
 * describe, a handler reading a parameter or body field it does not declare, or an answer
 * that is not the document's response type is a compile error. It is mounted on the root
 * router (createOpenApiRouter), whose middleware has already parsed and validated the request,
 * so a feature validates nothing again.
 */
export function createFeatureRouter(): ShipshapeApiRouter {
  // express-promise-router is what createValidatedOpenApiRouterFromGeneratedEndpointMap
  // builds as well; TypedRouter narrows only the route methods' types.
  return Router() as ShipshapeApiRouter;
}
