import { AuthService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { ConflictError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';

/**
 * Refuses (409) when another catalog entity than `entityRef` carries the same value in the
 * annotation (the same backup target, the same workload), naming every claimant. Entities in
 * `shared` (an admin's allowedEntities) may claim it together. The catalog is read with the
 * plugin's own credentials, so a claimant the caller cannot see still counts.
 */
export async function assertSoleClaim(opts: {
  catalog: CatalogService;
  auth: AuthService;
  entityRef: string;
  annotation: string;
  value: string;
  /** For the message: "backup target 'payments-db'", "workload 'payments-api'". */
  what: string;
  /** What to do about it, for the message. */
  remedy: string;
  shared?: string[];
}) {
  const { items } = await opts.catalog.getEntities(
    {
      filter: { [`metadata.annotations.${opts.annotation}`]: opts.value },
      fields: ['kind', 'metadata.namespace', 'metadata.name'],
    },
    { credentials: await opts.auth.getOwnServiceCredentials() },
  );
  const self = opts.entityRef.toLocaleLowerCase('en-US');
  const others = items
    .map(e => stringifyEntityRef(e).toLocaleLowerCase('en-US'))
    .filter(r => r !== self && !(opts.shared ?? []).includes(r));
  if (others.length) {
    throw new ConflictError(
      `${opts.what} is claimed by ${self} and also by ${others.join(', ')} (${
        opts.annotation
      }); refusing until one entity claims it: ${opts.remedy}`,
    );
  }
}
