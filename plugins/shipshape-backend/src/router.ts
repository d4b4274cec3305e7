import express from 'express';
import { kubernetesErrors } from './http/errors';
import { createOpenApiRouter } from './schema/router';

/**
 * The plugin's HTTP API. Each feature keeps its routes in its own folder
 * (`src/<feature>/router.ts`) and is mounted here with one line.
 */
export async function createRouter(
  featureRouters: express.Router[],
): Promise<express.Router> {
  // Validates requests against src/schema/openapi.yaml and parses JSON bodies.
  const router = createOpenApiRouter();

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  for (const featureRouter of featureRouters) {
    router.use(featureRouter);
  }
  router.use(kubernetesErrors);
  return router;
}
