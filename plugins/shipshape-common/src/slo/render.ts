import { stringify } from 'yaml';
import { parseOpenSlo } from './openslo';
import { formatSloError } from './types';
import { generateServiceSloRules, RuleOptions } from './rules';

/**
 * Renders the rules of an OpenSLO file as YAML: a `PrometheusRule` object (for the
 * Prometheus operator / a Helm chart) or a plain rule file (for `prometheus --config`
 * rule_files and `promtool test rules`). Throws with every error, file/document/field.
 *
 * @public
 */
export function renderSloRules(
  text: string,
  file: string,
  opts: RuleOptions & {
    format?: 'prometheusrule' | 'rules';
    name?: string;
    namespace?: string;
  },
): string {
  const { slos, errors } = parseOpenSlo(text, file);
  if (errors.length) throw new Error(errors.map(formatSloError).join('\n'));
  const spec = generateServiceSloRules(slos, opts);
  if (opts.format === 'rules') return stringify(spec);
  return stringify({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: opts.name ?? `${opts.service}-slo`,
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      labels: {
        'app.kubernetes.io/name': opts.service,
        'app.kubernetes.io/component': 'slo',
      },
    },
    spec,
  });
}

/**
 * Where the service templates' chart reads the generated rules (`.Files.Get`).
 *
 * @public
 */
export const CHART_SLO_RULES_PATH = 'chart/files/slo-rules.yaml';

/**
 * The rule file a service's Helm chart includes (`chart/files/slo-rules.yaml`): the plain
 * rule groups of its OpenSLO file, under a header saying where they come from. Used by the
 * `shipshape:slo:rules` scaffolder action and by the templates' render check, so both write
 * the same bytes.
 *
 * @public
 */
export function renderSloRuleFile(
  text: string,
  file: string,
  opts: RuleOptions,
): string {
  const body = renderSloRules(text, file, { ...opts, format: 'rules' });
  const header = [
    `# Generated from ${file} by Shipshape (shipshape:slo:rules, or`,
    `# plugins/scaffolder-backend-module-shipshape/src/sloRulesCli.ts --format chart). Do not edit: change`,
    `# ${file} and render it again. chart/templates/prometheusrule.yaml includes it.`,
  ];
  return `${header.join('\n')}\n${body}`;
}
