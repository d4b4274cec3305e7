/**
 * Renders the SLO rules of an existing service from its OpenSLO file:
 *
 *   node --require @backstage/cli-node/config/nodeTransform.cjs \
 *     plugins/scaffolder-backend-module-shipshape/src/sloRulesCli.ts --service payments-api \
 *     [--format prometheusrule|rules|chart|analysis] [--label team=payments] [--runbook URL] slo.yaml
 *
 * Writes YAML to stdout; errors (file, document, field) to stderr, exit code 1.
 */
import fs from 'fs';
import {
  renderSloAnalysisFile,
  renderSloRuleFile,
  renderSloRules,
} from '@shipshape/plugin-shipshape-common';

export function runCli(
  argv: string[],
  read: (file: string) => string = f => fs.readFileSync(f, 'utf8'),
): {
  code: number;
  out: string;
  err: string;
} {
  let service: string | undefined;
  let format: 'prometheusrule' | 'rules' | 'chart' | 'analysis' =
    'prometheusrule';
  let runbookUrl: string | undefined;
  let namespace: string | undefined;
  const labels: Record<string, string> = {};
  const files: string[] = [];
  const usage =
    'usage: sloRulesCli.ts --service <kubernetes-id> [--format prometheusrule|rules|chart|analysis] [--namespace ns] [--label k=v]... [--runbook url] <openslo.yaml>';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--service') service = next();
      else if (a === '--format') {
        const f = next();
        if (
          f !== 'prometheusrule' &&
          f !== 'rules' &&
          f !== 'chart' &&
          f !== 'analysis'
        )
          throw new Error(`unknown format "${f}"`);
        format = f;
      } else if (a === '--runbook') runbookUrl = next();
      else if (a === '--namespace') namespace = next();
      else if (a === '--label') {
        const [k, ...v] = next().split('=');
        labels[k] = v.join('=');
      } else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
      else files.push(a);
    } catch (e) {
      return { code: 2, out: '', err: `${(e as Error).message}\n${usage}\n` };
    }
  }
  if (!service || files.length !== 1)
    return { code: 2, out: '', err: `${usage}\n` };
  try {
    const opts = { service, runbookUrl, alertLabels: labels };
    let out: string;
    if (format === 'analysis') {
      out = renderSloAnalysisFile(read(files[0]), files[0]);
    } else if (format === 'chart') {
      out = renderSloRuleFile(read(files[0]), files[0], opts);
    } else {
      out = renderSloRules(read(files[0]), files[0], {
        ...opts,
        format,
        namespace,
      });
    }
    return { code: 0, out, err: '' };
  } catch (e) {
    return { code: 1, out: '', err: `${(e as Error).message}\n` };
  }
}

if (require.main === module) {
  const r = runCli(process.argv.slice(2));
  process.stdout.write(r.out);
  process.stderr.write(r.err);
  process.exitCode = r.code;
}
