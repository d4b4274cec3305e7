import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { readBackupConfig } from '../backup/config';
import { BackupStore } from '../backup/store';
import { databases, migrated } from '../operations/__testUtils__/databases';
import { ReadinessService } from './service';

jest.setTimeout(120_000);

const entity = (
  kind: string,
  name: string,
  annotations: Record<string, string>,
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind,
  metadata: { name, namespace: 'default', annotations },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
});

// 1,201 DR services, more than one catalog page of 1000; cheap facts: an unknown backup
// target, a kubernetes-id without a cluster config, a tier alone.
const SERVICES = Array.from({ length: 1201 }, (_, i) =>
  entity('Component', `svc-${String(i).padStart(4, '0')}`, {
    ...[
      { 'shipshape.dev/backup-target': 'no-such-db' },
      { 'backstage.io/kubernetes-id': `svc-${i}` },
      { 'shipshape.dev/tier': 'standard' },
    ][i % 3],
  }),
);
const OTHERS = [
  entity('Component', 'docs-site', {}),
  entity('System', 'shop', { 'shipshape.dev/tier': 'critical' }),
  entity('Resource', 'orders-db', { 'shipshape.dev/tier': 'critical' }),
];

describe('ReadinessService.gradeAll', () => {
  it.each(databases.eachSupportedId())(
    'grades every DR service, page by page, past the first 1000; on %p',
    async databaseId => {
      const knex = await migrated(databaseId);
      const catalog = catalogServiceMock({
        entities: [...OTHERS, ...SERVICES],
      });
      const pages: number[] = [];
      const query = catalog.queryEntities.bind(catalog);
      jest.spyOn(catalog, 'queryEntities').mockImplementation(async (...a) => {
        const res = await query(...a);
        pages.push(res.items.length);
        return res;
      });
      const logger = mockServices.logger.mock();
      const readiness = ReadinessService.create({
        knex,
        backups: {
          config: readBackupConfig(
            new ConfigReader({
              shipshape: {
                backup: {
                  storage: { type: 'local', directory: '/tmp/ss-grade-all' },
                  targets: [
                    {
                      name: 'orders-db',
                      connection: { host: 'db', user: 'u' },
                    },
                  ],
                },
              },
            }),
          )!,
          store: new BackupStore(knex),
        },
        catalog,
        auth: mockServices.auth(),
        logger,
      });

      expect(await readiness.gradeAll()).toBe(1201);
      // one page of 1000 held at a time
      expect(pages).toEqual([1000, 201]);
      expect(logger.warn).not.toHaveBeenCalled();
      const rows = await knex('shipshape_dr_grades')
        .where({ environment: 'production' })
        .orderBy('entity_ref')
        .pluck('entity_ref');
      expect(rows).toEqual(
        SERVICES.map(s => `component:default/${s.metadata.name}`),
      );
      // a tier-only component past the first page is graded
      expect(rows).toContain('component:default/svc-1199');
      expect(SERVICES[1199].metadata.annotations).toEqual({
        'shipshape.dev/tier': 'standard',
      });

      // A pass stopped by its timeout (the scheduler aborts the signal) grades nothing more.
      const aborted = new AbortController();
      aborted.abort();
      expect(await readiness.gradeAll(aborted.signal)).toBe(0);
      expect(logger.warn).toHaveBeenCalledWith(
        'The DR grading pass stopped at its timeout after 0 entities',
      );
    },
  );
});
