import { AuditorServiceCreateEventOptions } from '@backstage/backend-plugin-api';
import { AsyncLocalStorage } from 'async_hooks';

/** The HTTP request an audit event is about: the auditor reads its caller, IP and user agent. */
export type AuditRequest = NonNullable<
  AuditorServiceCreateEventOptions['request']
>;

const current = new AsyncLocalStorage<AuditRequest>();

/**
 * Runs `fn` (a route's call into a service) with `request` as the request of the operations it
 * submits: the engine hands it to the auditor, whose actor is then the caller (a user's entity
 * ref) with its IP and user agent. Operations submitted outside (a schedule) have none: their
 * actor is the plugin's own service.
 */
export function withAuditRequest<T>(
  request: AuditRequest,
  fn: () => Promise<T>,
): Promise<T> {
  return current.run(request, fn);
}

/** The request of the route that is submitting, if any (see withAuditRequest). */
export function auditRequest(): AuditRequest | undefined {
  return current.getStore();
}
