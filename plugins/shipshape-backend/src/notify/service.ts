import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  NotificationSendOptions,
  NotificationService,
} from '@backstage/plugin-notifications-node';
import { ownerRefOf } from '@shipshape/plugin-shipshape-common';
import { Operation, OperationStore } from '../operations/store';

/** The operation kinds whose failures reach the owner, by the name a title gives them. */
const WATCHED: Record<string, string> = {
  deploy: 'Deploy',
  rollback: 'Rollback',
  backup: 'Backup',
  'restore-drill': 'Restore drill',
};

/**
 * The owner (catalog `spec.owner`, a group by default) to address a notice about `entityRef`
 * to; undefined, with a warning naming `what`, when the entity has none.
 */
export async function ownerOf(
  deps: { catalog: CatalogService; auth: AuthService; logger: LoggerService },
  entityRef: string,
  what: string,
): Promise<string | undefined> {
  const entity = await deps.catalog.getEntityByRef(entityRef, {
    credentials: await deps.auth.getOwnServiceCredentials(),
  });
  const owner = entity && ownerRefOf(entity);
  if (!owner?.ok) {
    deps.logger.warn(
      `${what} of ${entityRef}: no owner to notify (${
        owner?.error ?? (entity ? 'no spec.owner' : 'not in the catalog')
      })`,
    );
    return undefined;
  }
  return owner.ref;
}

/** The entity page's path, which every notice links to. */
export function entityPageLink(entityRef: string): string {
  const ref = parseEntityRef(entityRef);
  const lower = (s: string) => s.toLocaleLowerCase('en-US');
  return `/catalog/${lower(ref.namespace)}/${lower(
    ref.kind,
  )}/${encodeURIComponent(ref.name)}`;
}

/**
 * Tells an entity's owner (its catalog `spec.owner`) through Backstage notifications when an
 * operation of a watched kind failed or was rolled back automatically, and when the next one
 * of that kind on that target succeeded. Every notice of one (entity, kind, target) shares a
 * `scope`, so the notifications backend keeps one notification per incident and updates it
 * (a repeated failure, then the recovery) instead of piling up new ones.
 */
export class OperationNotifier {
  private constructor(
    private readonly deps: {
      notifications: NotificationService;
      catalog: CatalogService;
      auth: AuthService;
      logger: LoggerService;
      store: OperationStore;
      /** Takes storage locations and hosts out of an outcome reason. */
      redact: (message: string) => string;
    },
  ) {}

  /**
   * plugin.ts builds one unless `shipshape.notifications.enabled` is false (it reads the config);
   * `redact` is the backup config's locationRedactor.
   */
  static create(deps: OperationNotifier['deps']): OperationNotifier {
    return new OperationNotifier(deps);
  }

  /** The engine's outcome listener: sends at most one notification; never throws. */
  async operationFinished(op: Operation): Promise<void> {
    try {
      const notice = await this.noticeOf(op);
      if (notice) await this.deps.notifications.send(notice);
    } catch (e) {
      this.deps.logger.warn(
        `Notifying the owner of ${op.entityRef} about ${op.kind} ${op.id} failed: ${e}`,
      );
    }
  }

  /** What to send about a finished operation, and to whom; undefined: nothing to say. */
  async noticeOf(op: Operation): Promise<NotificationSendOptions | undefined> {
    const what = WATCHED[op.kind];
    if (!what || op.status === 'queued' || op.status === 'running') {
      return undefined;
    }
    const failed = op.status !== 'succeeded';
    if (!failed && !(await this.previousFailed(op))) return undefined;
    const owner = await ownerOf(this.deps, op.entityRef, `${op.kind} ${op.id}`);
    if (!owner) return undefined;
    const { redact } = this.deps;
    const ref = parseEntityRef(op.entityRef);
    const lower = (s: string) => s.toLocaleLowerCase('en-US');
    const environment = (op.input as { environment?: unknown })?.environment;
    const where = `${ref.name}${
      typeof environment === 'string' ? ` in ${environment}` : ''
    }`;
    // no locations, hosts or checksums (a checksum names no fault the owner can act on)
    const reason = redact(op.outcomeReason ?? 'no reason recorded')
      .replace(/\b[0-9a-f]{64}\b/gi, '…')
      .slice(0, 1000);
    let title = `${what} of ${where} failed`;
    if (op.status === 'rolled-back') {
      title = `${what} of ${where} was rolled back automatically`;
    } else if (!failed) {
      title = `${what} of ${where} succeeded again`;
    }
    return {
      recipients: { type: 'entity', entityRef: owner },
      payload: {
        title,
        description: failed ? reason : `Recovered: ${reason}`,
        link: entityPageLink(op.entityRef),
        severity: failed ? 'high' : 'normal',
        topic: `shipshape-${op.kind}`,
        scope: `shipshape:${op.kind}:${lower(op.entityRef)}:${op.target}`,
        metadata: { operationId: op.id, status: op.status },
      },
    };
  }

  /** Whether the last finished operation of this kind on this target before `op` failed. */
  private async previousFailed(op: Operation): Promise<boolean> {
    const earlier = await this.deps.store.listByEntity(op.entityRef, {
      kind: [op.kind],
      limit: 20,
    });
    const previous = earlier.find(
      o =>
        o.id !== op.id &&
        o.target === op.target &&
        o.createdAt <= op.createdAt &&
        o.status !== 'queued' &&
        o.status !== 'running',
    );
    return previous !== undefined && previous.status !== 'succeeded';
  }
}
