import express from 'express';
import Router from 'express-promise-router';

/** The plugin's HTTP API; each feature adds its routes here and to the OpenAPI document. */
export async function createRouter(): Promise<express.Router> {
  const router = Router();
  router.use(express.json());

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  return router;
}
