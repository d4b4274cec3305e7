import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  SHIPSHAPE_ANNOTATIONS,
  TIERS,
  TIER_DEFAULTS,
  Tier,
} from '@shipshape/plugin-shipshape-common';
import { examples } from './catalogAnnotations.examples';

/**
 * Turns a template's answers into the entity contract's annotations, filling what the tier
 * implies, so every template writes the same names and defaults as the rest of Shipshape.
 */
export function createCatalogAnnotationsAction() {
  return createTemplateAction({
    id: 'shipshape:catalog:annotations',
    description:
      "Builds a new service's shipshape.dev/ annotations and chart values from its tier and cost center, validated by the entity contract.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        tier: z =>
          z.enum(TIERS as unknown as [Tier, ...Tier[]], {
            description: `Service tier: ${TIERS.join(', ')}`,
          }),
        costCenter: z => z.string({ description: 'Cost center, e.g. CC-1234' }),
        backupTarget: z =>
          z
            .string({
              description:
                'Backup target name from app-config, when the service has a database',
            })
            .optional(),
        runbook: z => z.string({ description: 'Runbook URL' }).optional(),
      },
      output: {
        annotations: z => z.record(z.string(), z.string()),
        replicas: z => z.number(),
        pdbMinAvailable: z => z.number(),
        availabilityObjective: z => z.number(),
      },
    },
    async handler(ctx) {
      const { tier, costCenter, backupTarget, runbook } = ctx.input;
      const defaults = TIER_DEFAULTS[tier];
      const values: Array<
        [keyof typeof SHIPSHAPE_ANNOTATIONS, string | undefined]
      > = [
        ['tier', tier],
        ['costCenter', costCenter],
        ['rpo', defaults.rpo],
        ['rto', defaults.rto],
        ['restoreDrillInterval', defaults.restoreDrillInterval],
        ['backupTarget', backupTarget],
        ['runbook', runbook],
      ];
      const annotations: Record<string, string> = {};
      for (const [key, value] of values) {
        if (value === undefined || value === '') continue;
        const spec = SHIPSHAPE_ANNOTATIONS[key];
        const parsed = spec.parse(value);
        if (!parsed.ok) throw new InputError(parsed.error);
        annotations[spec.name] = value.trim();
      }
      ctx.output('annotations', annotations);
      ctx.output('replicas', defaults.replicas);
      ctx.output('pdbMinAvailable', defaults.pdbMinAvailable);
      ctx.output('availabilityObjective', defaults.availabilityObjective);
    },
  });
}
