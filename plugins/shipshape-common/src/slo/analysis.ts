import { stringify } from 'yaml';
import { parseOpenSlo } from './openslo';
import { BURN_RATE_ALERTS, burnRateFactor, errorRatioExpr } from './rules';
import { errorBudget, formatSloError, Slo } from './types';

/**
 * One metric of an Argo Rollouts AnalysisTemplate (`spec.metrics[]`) without its provider's
 * address, which the chart adds from its values.
 *
 * @public
 */
export interface SloAnalysisMetric {
  /** `slo-<slo name>`: named in the AnalysisRun and on the Rollout card. */
  name: string;
  /** The SLO's error ratio over `window`, by the same code as its burn-rate rules. */
  query: string;
  /** Failed when the ratio is above `threshold` (no traffic, NaN, passes). */
  failureCondition: string;
  /** The error ratio above which the release fails: the fastest page alert's threshold. */
  threshold: number;
  /** The rate window of the query (the fastest page alert's short window). */
  window: string;
  /** Seconds between measurements. */
  interval: string;
  /** Measurements per analysis run. */
  count: number;
  /** Failed measurements tolerated (0: the first failure fails the run). */
  failureLimit: number;
}

/**
 * Where the service templates' chart reads the analysis metrics (`.Files.Get`), next to
 * {@link CHART_SLO_RULES_PATH}.
 *
 * @public
 */
export const CHART_SLO_ANALYSIS_PATH = 'chart/files/slo-analysis.yaml';

/**
 * The analysis metric of one SLO for a canary or blue-green release: its error ratio over the
 * short window of the fastest page alert (5m), failing above that alert's threshold (burn rate
 * x error budget: 14.4 x 0.001 = 0.0144 for 99.9 % over 30 days). A release that would page
 * fails its analysis; Argo Rollouts then aborts it and sends traffic back to the stable pods.
 *
 * @public
 */
export function sloAnalysisMetric(slo: Slo): SloAnalysisMetric {
  const fastest = BURN_RATE_ALERTS[0];
  const window = fastest.short;
  const threshold = Number(
    (
      burnRateFactor(fastest, slo.window) * errorBudget(slo.objective)
    ).toPrecision(10),
  );
  return {
    name: `slo-${slo.name}`,
    query: errorRatioExpr(slo, window),
    failureCondition: `len(result) > 0 && result[0] > ${threshold}`,
    threshold,
    window,
    interval: '10s',
    count: 3,
    failureLimit: 0,
  };
}

/**
 * The analysis metrics of an OpenSLO file as YAML (`metrics:`), under a header saying where
 * they come from: `chart/files/slo-analysis.yaml`, which the chart's AnalysisTemplate reads.
 * Throws with every error of the file (file/document/field), as the rule generator does.
 *
 * @public
 */
export function renderSloAnalysisFile(text: string, file: string): string {
  const { slos, errors } = parseOpenSlo(text, file);
  if (errors.length) throw new Error(errors.map(formatSloError).join('\n'));
  const header = [
    `# Generated from ${file} by Shipshape (shipshape:slo:rules), with the SLO rules in`,
    `# slo-rules.yaml. Do not edit: change ${file} and render it again.`,
    `# chart/templates/analysistemplate.yaml reads it (strategy canary or blue-green).`,
  ];
  return `${header.join('\n')}\n${stringify({
    metrics: slos.map(sloAnalysisMetric),
  })}`;
}
