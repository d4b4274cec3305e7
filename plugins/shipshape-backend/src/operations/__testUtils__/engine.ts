import { mockServices } from '@backstage/backend-test-utils';
import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { OperationEngine } from '../engine';
import { OperationStore } from '../store';

/** An operations engine over a test database (not started: no heartbeat unless a test starts it). */
export function testEngine(
  knex: Knex,
  options: {
    instanceId?: string;
    heartbeatMs?: number;
    staleAfterMs?: number;
    logger?: LoggerService;
    auditor?: AuditorService;
  } = {},
): OperationEngine {
  return OperationEngine.create({
    store: OperationStore.create(knex),
    logger: options.logger ?? mockServices.logger.mock(),
    auditor: options.auditor ?? mockServices.auditor.mock(),
    ...options,
  });
}
