import { mockServices } from '@backstage/backend-test-utils';
import { testEngine } from '../../operations/__testUtils__/engine';
import { BackupService, BackupServiceDeps } from '../service';

/**
 * A BackupService for a test, built as plugin.ts builds it (BackupService.create, then its
 * engine handlers registered): a mock logger and a fresh engine over `knex` unless given.
 */
export function testBackupService(
  deps: Omit<BackupServiceDeps, 'logger' | 'engine'> &
    Partial<Pick<BackupServiceDeps, 'logger' | 'engine'>>,
): BackupService {
  return BackupService.create({
    ...deps,
    logger: deps.logger ?? mockServices.logger.mock(),
    engine: deps.engine ?? testEngine(deps.knex),
  }).registerOperations();
}
