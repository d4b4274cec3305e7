import { createMockActionContext } from './__testUtils__/actionContext';
import { renderSloRuleFile } from '@shipshape/plugin-shipshape-common';
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import yaml from 'yaml';
import { EXAMPLES } from '@internal/shipshape-test-utils';
import { createSloRulesAction } from './sloRules';
import { examples } from './sloRules.examples';

const example = fs.readFileSync(
  path.join(EXAMPLES, 'slo/payments-api.yaml'),
  'utf8',
);

function hasPromtool(): boolean {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('shipshape:slo:rules', () => {
  const action = createSloRulesAction();
  let workspacePath: string;

  beforeEach(() => {
    workspacePath = fs.mkdtempSync(path.join(os.tmpdir(), 'slo-rules-'));
    fs.writeFileSync(path.join(workspacePath, 'slo.yaml'), example);
  });
  afterEach(() => fs.rmSync(workspacePath, { recursive: true, force: true }));

  it('runs its first example: the generator output lands in the chart', async () => {
    const input = yaml.parse(examples[0].example).steps[0].input;
    const ctx = createMockActionContext({ input, workspacePath });
    await action.handler(ctx);
    const file = path.join(workspacePath, 'chart/files/slo-rules.yaml');
    const written = fs.readFileSync(file, 'utf8');
    expect(written).toBe(
      renderSloRuleFile(example, 'slo.yaml', { service: 'payments-api' }),
    );
    expect(written).toMatch(/^# Generated from slo\.yaml by Shipshape/);
    const groups = yaml.parse(written).groups;
    expect(groups.map((g: { name: string }) => g.name)).toContain(
      'payments-api-slo-availability-alerts',
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'path',
      'chart/files/slo-rules.yaml',
    );
    expect(ctx.output).toHaveBeenCalledWith('slos', [
      'availability',
      'latency-p99',
      'latency-p90',
    ]);
    expect(ctx.output).toHaveBeenCalledWith('rules', 45);
    // a rule file Prometheus accepts (Debian's promtool, as the templates' checks use)
    if (hasPromtool()) {
      execFileSync('promtool', ['check', 'rules', '--lint-fatal', file], {
        stdio: 'pipe',
      });
    }
  });

  it('runs its second example: extra labels and runbook on every alert only', async () => {
    const input = yaml.parse(examples[1].example).steps[0].input;
    const ctx = createMockActionContext({ input, workspacePath });
    await action.handler(ctx);
    const { groups } = yaml.parse(
      fs.readFileSync(
        path.join(workspacePath, 'monitoring/slo-rules.yml'),
        'utf8',
      ),
    );
    const rules = groups.flatMap((g: { rules: unknown[] }) => g.rules);
    const alerts = rules.filter((r: { alert?: string }) => r.alert);
    expect(alerts).toHaveLength(12);
    for (const a of alerts) {
      expect(a.labels.team).toBe('payments');
      expect(a.annotations.runbook_url).toBe(
        'https://docs.example.com/payments-api/runbook',
      );
    }
    expect(
      rules.filter((r: { record?: string }) => r.record)[0].labels.team,
    ).toBeUndefined();
  });

  it('does the same in a dry run (it only touches the workspace)', async () => {
    const ctx = createMockActionContext({
      input: { service: 'payments-api' },
      workspacePath,
      isDryRun: true,
    });
    await action.handler(ctx);
    expect(
      fs.readFileSync(
        path.join(workspacePath, 'chart/files/slo-rules.yaml'),
        'utf8',
      ),
    ).toBe(renderSloRuleFile(example, 'slo.yaml', { service: 'payments-api' }));
  });

  it('names file, document and field of a bad slo.yaml, and writes nothing', async () => {
    fs.writeFileSync(
      path.join(workspacePath, 'slo.yaml'),
      example.replace('target: 0.999', 'target: 1.5'),
    );
    const ctx = createMockActionContext({
      input: { service: 'payments-api' },
      workspacePath,
    });
    await expect(action.handler(ctx)).rejects.toThrow(
      /slo\.yaml: document 3: spec\.objectives\[0\]\.target: 1\.5 is 100% or above/,
    );
    expect(fs.existsSync(path.join(workspacePath, 'chart'))).toBe(false);
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it('says which file is missing', async () => {
    const ctx = createMockActionContext({
      input: { service: 'payments-api', sloPath: 'monitoring/slo.yaml' },
      workspacePath,
    });
    await expect(action.handler(ctx)).rejects.toThrow(
      /monitoring\/slo\.yaml: no such file in the workspace/,
    );
  });

  it('refuses paths outside the workspace', async () => {
    for (const input of [
      { service: 'payments-api', sloPath: '../slo.yaml' },
      { service: 'payments-api', targetPath: '../../etc/rules.yaml' },
    ]) {
      const ctx = createMockActionContext({ input, workspacePath });
      await expect(action.handler(ctx)).rejects.toThrow(/outside/);
    }
  });

  it('refuses a service that is not a kubernetes-id and reserved alert labels', async () => {
    await expect(
      action.handler(
        createMockActionContext({
          input: { service: 'Payments API' },
          workspacePath,
        }),
      ),
    ).rejects.toThrow(/service "Payments API" is not a valid kubernetes-id/);
    await expect(
      action.handler(
        createMockActionContext({
          input: { service: 'payments-api', alertLabels: { slo: 'x' } },
          workspacePath,
        }),
      ),
    ).rejects.toThrow(/alert label "slo"/);
  });
});
