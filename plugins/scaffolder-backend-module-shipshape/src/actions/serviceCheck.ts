import { InputError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  costCenterError,
  ownerGroupRef,
  serviceNameFormatError,
  serviceNameQuery,
  serviceNameTakenError,
  ShipshapePolicy,
} from '@shipshape/plugin-shipshape-common';
import { examples } from './serviceCheck.examples';

/** The part of the catalog service the check reads. */
export type ServiceCheckCatalog = Pick<
  CatalogService,
  'getEntities' | 'getEntityByRef'
>;

/**
 * The server's side of the wizard fields: the new service's name is a free DNS-1123 label, its
 * owner a Group in the catalog, its cost center inside the policy. A template runs it first, so
 * a task started without the wizard (the scaffolder API) is refused before anything is written,
 * published or registered. The catalog is read with the task initiator's credentials.
 */
export function createServiceCheckAction(options: {
  catalog: ServiceCheckCatalog;
  policy: ShipshapePolicy;
}) {
  const { catalog, policy } = options;
  return createTemplateAction({
    id: 'shipshape:service:check',
    description:
      "Refuses a new service whose name is taken or not a DNS-1123 label, whose owner is not a Group in the catalog, or whose cost center is outside app-config's shipshape.policy.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: z => z.string({ description: 'The new service name' }),
        owner: z => z.string({ description: "The owning Group's entity ref" }),
        costCenter: z => z.string({ description: 'Cost center, e.g. CC-1234' }),
      },
    },
    async handler(ctx) {
      const { name, owner, costCenter } = ctx.input;
      const credentials = await ctx.getInitiatorCredentials();
      const ask = async <T>(what: string, read: () => Promise<T>) => {
        try {
          return await read();
        } catch (e) {
          throw new Error(
            `The catalog could not be asked ${what} (${
              (e as Error).message
            }); nothing was created`,
          );
        }
      };
      const errors: string[] = [];
      const nameError =
        serviceNameFormatError(name) ??
        serviceNameTakenError(
          name,
          (
            await ask(`whether ${name} is taken`, () =>
              catalog.getEntities(serviceNameQuery(name), { credentials }),
            )
          ).items,
        );
      if (nameError) errors.push(`name: ${nameError}`);
      const group = ownerGroupRef(owner);
      let ownerError = group.error;
      if (group.ref) {
        const found = await ask(`for the owner ${group.ref}`, () =>
          catalog.getEntityByRef(group.ref, { credentials }),
        );
        if (!found) {
          ownerError = `${group.ref} is not in the catalog (or not visible to you); choose an existing Group`;
        }
      }
      if (ownerError) errors.push(`owner: ${ownerError}`);
      const costError = costCenterError(policy, costCenter);
      if (costError) errors.push(`costCenter: ${costError}`);
      if (errors.length) {
        throw new InputError(
          `The service cannot be created: ${errors.join('; ')}`,
        );
      }
      ctx.logger.info(
        `${name}: name free, owner ${owner} is a Group, cost center ${costCenter} within the policy`,
      );
    },
  });
}
