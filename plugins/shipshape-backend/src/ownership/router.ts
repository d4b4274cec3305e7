import { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { OwnershipService } from './service';

const entityParams = z.object({
  kind: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,62}$/),
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/),
  name: z.string().regex(/^[A-Za-z0-9]([-_.A-Za-z0-9]{0,61}[A-Za-z0-9])?$/),
});

const page = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

function parse<T>(
  schema: z.ZodType<T, z.ZodTypeDef, unknown>,
  value: unknown,
  where: string,
): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new InputError(
      `Invalid ${where}: ${result.error.issues
        .map(i => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
    );
  }
  return result.data;
}

/**
 * Ownership and cost: one entity's view and the catalog-wide summary. Both read the catalog with
 * the caller's credentials, so each entity is filtered by the caller's read permission.
 */
export function createOwnershipRouter(deps: {
  ownership: OwnershipService;
  httpAuth: HttpAuthService;
}): express.Router {
  const { httpAuth, ownership } = deps;
  const router = Router();

  router.get('/entities/:kind/:namespace/:name/ownership', async (req, res) => {
    // The OpenAPI validation already checked these; zod keeps the types honest.
    const ref = parse(entityParams, req.params, 'entity reference');
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    res.json(
      await ownership.entityOwnership(
        {
          kind: ref.kind.toLocaleLowerCase('en-US'),
          namespace: ref.namespace,
          name: ref.name,
        },
        credentials,
      ),
    );
  });

  router.get('/ownership/summary', async (req, res) => {
    const query = parse(page, req.query, 'paging');
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    res.json(await ownership.summary(credentials, query));
  });

  return router;
}
