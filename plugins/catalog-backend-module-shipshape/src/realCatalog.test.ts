import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
// The real catalog backend (installed for packages/backend) processes the example files.
import catalogPlugin from '@backstage/plugin-catalog-backend';
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import {
  EXAMPLES,
  eventually,
  exampleCatalogConfig,
} from '@internal/shipshape-test-utils';
import { catalogModuleShipshape } from './module';

/** The real catalog with this module, processing `catalog`'s locations every second. */
async function startCatalog(catalog: object, policy: object) {
  const backend = await startTestBackend({
    features: [
      catalogPlugin,
      catalogModuleShipshape,
      mockServices.rootConfig.factory({
        data: {
          catalog: { processingInterval: { seconds: 1 }, ...catalog },
          shipshape: { policy },
        },
      }),
    ],
  });
  const get = (name: string) =>
    request(backend.server).get(
      `/api/catalog/entities/by-name/component/default/${name}`,
    );
  return { backend, get };
}

// Directories the tests write catalog files to; removed when the file's tests end.
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-catalog-'));
  dirs.push(dir);
  return dir;
}

/** The catalog of the example entities, with a copy of org.yaml a test may add groups to. */
async function startExampleCatalog(policy: object) {
  const dir = tempDir();
  const org = path.join(dir, 'org.yaml');
  fs.copyFileSync(path.join(EXAMPLES, 'org.yaml'), org);
  const started = await startCatalog(exampleCatalogConfig(org), policy);
  return { ...started, org };
}

// Only the owner rule is enforced here, so the group appearing is the one thing that changes.
const ownerEnforced = {
  mode: 'warn',
  ownerExists: { mode: 'enforce' },
};

describe('the policy in the real catalog', () => {
  jest.setTimeout(90_000);

  it('enforce keeps a new entity whose owner is missing out, and lets it in once the group appears', async () => {
    const { backend, org, get } = await startExampleCatalog(ownerEnforced);
    try {
      await eventually(async () => {
        expect((await get('payments-api')).status).toBe(200);
      });
      // Several processing rounds later, legacy-billing is still refused.
      await new Promise(r => setTimeout(r, 3000));
      expect((await get('legacy-billing')).status).toBe(404);

      fs.appendFileSync(
        org,
        '\n---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: billing-team\nspec:\n  type: team\n  children: []\n',
      );
      // No restart: the next processing after the lookup cache expires lets it in.
      await eventually(async () => {
        const res = await get('legacy-billing');
        expect(res.status).toBe(200);
        expect(res.body.spec.owner).toBe('group:default/billing-team');
      }, 60_000);
    } finally {
      await backend.stop();
    }
  });

  it('warn keeps the misconfigured entity in the catalog', async () => {
    const { backend, get } = await startExampleCatalog({ mode: 'warn' });
    try {
      await eventually(async () => {
        expect((await get('legacy-billing')).status).toBe(200);
      });
    } finally {
      await backend.stop();
    }
  });

  it('enforce shows the message in the processing errors of an existing entity, which keeps its last good version', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'svc.yaml');
    const write = (tier: string) =>
      fs.writeFileSync(
        file,
        `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\n  annotations:\n    shipshape.dev/tier: ${tier}\nspec:\n  type: service\n  lifecycle: production\n  owner: group:default/payments-team\n`,
      );
    write('critical');
    const { backend, get } = await startCatalog(
      {
        rules: [{ allow: ['Component', 'Group', 'Location'] }],
        locations: [
          { type: 'file', target: file },
          {
            type: 'file',
            target: path.join(EXAMPLES, 'org.yaml'),
            rules: [{ allow: ['Group', 'User'] }],
          },
        ],
      },
      {
        mode: 'warn',
        tags: [
          {
            name: 'shipshape.dev/tier',
            allowed: ['critical', 'standard', 'best-effort'],
            mode: 'enforce',
          },
        ],
      },
    );
    try {
      await eventually(async () => {
        expect((await get('svc')).status).toBe(200);
      });
      write('gold');
      await eventually(async () => {
        const res = await get('svc');
        expect(res.body.status?.items).toEqual([
          expect.objectContaining({
            type: 'backstage.io/catalog-processing',
            level: 'error',
            message: expect.stringContaining(
              'component:default/svc: shipshape.dev/tier is "gold"; expected one of critical, standard, best-effort; set it to a valid value, e.g. shipshape.dev/tier: critical',
            ),
          }),
        ]);
        // The last good version is kept.
        expect(res.body.metadata.annotations['shipshape.dev/tier']).toBe(
          'critical',
        );
      }, 60_000);
    } finally {
      await backend.stop();
    }
  });

  it('flags a second claim of a kubernetes-id: a new claimant stays out, an existing one keeps its last good version', async () => {
    const file = path.join(tempDir(), 'claims.yaml');
    const doc = (name: string, id: string) =>
      `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\n  annotations:\n    backstage.io/kubernetes-id: ${id}\nspec:\n  type: service\n  lifecycle: production\n  owner: group:default/payments-team\n`;
    fs.writeFileSync(file, `${doc('pay', 'pay')}---\n${doc('other', 'other')}`);
    const { backend, get } = await startCatalog(
      {
        rules: [{ allow: ['Component', 'Location'] }],
        locations: [{ type: 'file', target: file }],
      },
      { mode: 'warn' },
    );
    try {
      await eventually(async () => {
        expect((await get('pay')).status).toBe(200);
        expect((await get('other')).status).toBe(200);
      });
      fs.writeFileSync(
        file,
        `${doc('pay', 'pay')}---\n${doc('other', 'pay')}---\n${doc(
          'rogue',
          'pay',
        )}`,
      );
      await eventually(async () => {
        const res = await get('other');
        expect(res.body.status?.items).toEqual([
          expect.objectContaining({
            level: 'error',
            message: expect.stringContaining(
              'component:default/other: backstage.io/kubernetes-id=pay is already claimed by component:default/pay',
            ),
          }),
        ]);
        expect(
          res.body.metadata.annotations['backstage.io/kubernetes-id'],
        ).toBe('other');
      }, 60_000);
      expect((await get('rogue')).status).toBe(404);
      const pay = await get('pay');
      expect(pay.body.status?.items ?? []).toEqual([]);
    } finally {
      await backend.stop();
    }
  });

  it('flags a second entity naming a backup target: a new one stays out, the first stays clean', async () => {
    const file = path.join(tempDir(), 'targets.yaml');
    const doc = (name: string, target: string) =>
      `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\n  annotations:\n    shipshape.dev/backup-target: ${target}\nspec:\n  type: service\n  lifecycle: production\n  owner: group:default/payments-team\n`;
    fs.writeFileSync(file, doc('pay', 'pay-db'));
    const { backend, get } = await startCatalog(
      {
        rules: [{ allow: ['Component', 'Location'] }],
        locations: [{ type: 'file', target: file }],
      },
      { mode: 'warn' },
    );
    try {
      await eventually(async () => {
        expect((await get('pay')).status).toBe(200);
      });
      fs.writeFileSync(
        file,
        `${doc('pay', 'pay-db')}---\n${doc('rogue', 'pay-db')}---\n${doc(
          'orders',
          'orders-db',
        )}`,
      );
      // orders (its own target) enters; rogue, naming pay's, never does
      await eventually(async () => {
        expect((await get('orders')).status).toBe(200);
      }, 60_000);
      expect((await get('rogue')).status).toBe(404);
      const pay = await get('pay');
      expect(pay.body.status?.items ?? []).toEqual([]);
      expect(pay.body.metadata.annotations['shipshape.dev/backup-target']).toBe(
        'pay-db',
      );
    } finally {
      await backend.stop();
    }
  });
});
