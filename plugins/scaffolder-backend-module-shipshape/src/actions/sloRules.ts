import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  CHART_SLO_ANALYSIS_PATH,
  CHART_SLO_RULES_PATH,
  MAX_SLO_FILE_BYTES,
  renderSloAnalysisFile,
  renderSloRuleFile,
} from '@shipshape/plugin-shipshape-common';
import fs from 'fs/promises';
import path from 'path';
import { parse } from 'yaml';
import { examples } from './sloRules.examples';

/**
 * `shipshape:slo:rules`: renders the Prometheus recording and burn-rate alert rules of an
 * OpenSLO file in the task workspace with shipshape-common's generator (the same rules the
 * portal reads and the CLI writes) and writes them into the workspace, by default as
 * `chart/files/slo-rules.yaml`, which the templates' chart includes in its PrometheusRule, and,
 * from the same SLOs by the same error-ratio code, the Argo Rollouts analysis metrics of a
 * canary or blue-green release (`chart/files/slo-analysis.yaml`, the chart's AnalysisTemplate).
 * Runs the same in a dry run: it only reads and writes inside the workspace.
 */
export function createSloRulesAction() {
  return createTemplateAction({
    id: 'shipshape:slo:rules',
    description:
      "Renders the Prometheus SLO rules (recordings + multi-window burn-rate alerts) of an OpenSLO file in the workspace into a rule file in the workspace (default chart/files/slo-rules.yaml, included by the service chart's PrometheusRule).",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        service: z =>
          z.string({
            description:
              "The service's backstage.io/kubernetes-id: the `service` label of every rule",
          }),
        sloPath: z =>
          z
            .string({
              description:
                'OpenSLO file, relative to the workspace (default slo.yaml)',
            })
            .optional(),
        targetPath: z =>
          z
            .string({
              description: `Rule file to write, relative to the workspace (default ${CHART_SLO_RULES_PATH})`,
            })
            .optional(),
        analysisPath: z =>
          z
            .string({
              description: `Analysis metrics to write, relative to the workspace (default ${CHART_SLO_ANALYSIS_PATH}): the SLOs' error ratios for the chart's Argo Rollouts AnalysisTemplate`,
            })
            .optional(),
        alertLabels: z =>
          z
            .record(z.string(), z.string(), {
              description: 'Extra labels on the alerts, e.g. {team: payments}',
            })
            .optional(),
        runbookUrl: z =>
          z
            .string({ description: 'runbook_url annotation of the alerts' })
            .optional(),
      },
      output: {
        path: z => z.string(),
        analysisPath: z => z.string(),
        slos: z => z.array(z.string()),
        rules: z => z.number(),
      },
    },
    async handler(ctx) {
      const {
        service,
        sloPath = 'slo.yaml',
        targetPath = CHART_SLO_RULES_PATH,
        analysisPath = CHART_SLO_ANALYSIS_PATH,
        alertLabels,
        runbookUrl,
      } = ctx.input;
      const source = resolveSafeChildPath(ctx.workspacePath, sloPath);
      const target = resolveSafeChildPath(ctx.workspacePath, targetPath);
      const analysisTarget = resolveSafeChildPath(
        ctx.workspacePath,
        analysisPath,
      );
      let stat;
      try {
        stat = await fs.stat(source);
      } catch {
        throw new InputError(
          `${sloPath}: no such file in the workspace (input sloPath); fetch it first, e.g. with fetch:template`,
        );
      }
      if (!stat.isFile() || stat.size > MAX_SLO_FILE_BYTES) {
        throw new InputError(
          `${sloPath}: not a regular file of at most ${MAX_SLO_FILE_BYTES} bytes`,
        );
      }
      const text = await fs.readFile(source, 'utf8');
      let out: string;
      let analysis: string;
      try {
        out = renderSloRuleFile(text, sloPath, {
          service,
          alertLabels,
          runbookUrl,
        });
        analysis = renderSloAnalysisFile(text, sloPath);
      } catch (e) {
        // the generator's messages name file, document and field
        throw new InputError(
          `shipshape:slo:rules: ${(e as Error).message.trim()}`,
        );
      }
      const groups: { rules: { record?: string; labels?: any }[] }[] =
        parse(out).groups;
      const slos = [
        ...new Set(groups.flatMap(g => g.rules.map(r => r.labels?.slo))),
      ].filter(Boolean);
      const rules = groups.reduce((n, g) => n + g.rules.length, 0);
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, out, 'utf8');
      await fs.mkdir(path.dirname(analysisTarget), { recursive: true });
      await fs.writeFile(analysisTarget, analysis, 'utf8');
      ctx.logger.info(
        `${targetPath}: ${rules} rules for ${
          slos.length
        } SLOs of ${sloPath} (${slos.join(', ')})${
          ctx.isDryRun ? ' (dry run: written into the dry-run workspace)' : ''
        }`,
      );
      ctx.output('path', targetPath);
      ctx.output('analysisPath', analysisPath);
      ctx.output('slos', slos);
      ctx.output('rules', rules);
    },
  });
}
