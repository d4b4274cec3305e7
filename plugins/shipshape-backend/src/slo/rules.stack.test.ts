/**
 * The stack's Prometheus loads generated SLO rules from its `rules.d/*.yml` glob
 * (scripts/stack/stack.sh): the rule file of an example SLO, exactly as the
 * `shipshape:slo:rules` action writes it into a chart, is dropped there, Prometheus is
 * reloaded (`POST /-/reload`, `--web.enable-lifecycle`), and `/api/v1/rules` lists every
 * group and rule, evaluated without error, and the recordings have values from the stack's
 * exporter. The file is removed again and the groups disappear.
 */
import {
  renderSloRuleFile,
  parseOpenSlo,
} from '@shipshape/plugin-shipshape-common';
import fs from 'fs';
import path from 'path';
import { parse } from 'yaml';
import { EXAMPLES, readLocalStack } from '@internal/shipshape-test-utils';

jest.setTimeout(120_000);

const stack = readLocalStack();
const promUrl = stack.prometheus.url;
const rulesDir = stack.prometheus.rulesDir;
const service = `slo-rd-${Date.now().toString(36)}`;
const file = path.join(rulesDir, `${service}.yml`);
const exampleFile = path.join(EXAMPLES, 'slo/payments-api.yaml');

interface RuleGroup {
  name: string;
  file: string;
  rules: { name: string; type: string; health: string; lastError?: string }[];
}

async function reload() {
  const r = await fetch(`${promUrl}/-/reload`, { method: 'POST' });
  if (!r.ok) {
    throw new Error(
      `POST ${promUrl}/-/reload answered ${r.status}: the stack's Prometheus needs --web.enable-lifecycle`,
    );
  }
}

async function groupsOfFile(): Promise<RuleGroup[]> {
  const r = await fetch(`${promUrl}/api/v1/rules`);
  const body = (await r.json()) as { data: { groups: RuleGroup[] } };
  return body.data.groups.filter(g => g.file === file);
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  seconds = 30,
): Promise<T> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(res => setTimeout(res, 500));
  }
}

describe("generated SLO rules in the stack's Prometheus (rules.d)", () => {
  afterAll(async () => {
    if (fs.existsSync(file)) {
      fs.rmSync(file);
      await reload();
    }
  });

  it('loads them on reload, evaluates them, and drops them when the file is removed', async () => {
    const text = fs.readFileSync(exampleFile, 'utf8');
    const rules = renderSloRuleFile(text, 'slo.yaml', { service });
    const expected = parse(rules).groups as {
      name: string;
      rules: unknown[];
    }[];
    expect(expected.flatMap(g => g.rules)).toHaveLength(
      parseOpenSlo(text, 'slo.yaml').slos.length * 15,
    );
    fs.mkdirSync(rulesDir, { recursive: true });
    fs.writeFileSync(file, rules);
    await reload();

    const loaded = await until('the rule groups of rules.d', async () => {
      const groups = await groupsOfFile();
      return groups.length === expected.length &&
        groups.every(g => g.rules.every(r => r.health === 'ok'))
        ? groups
        : undefined;
    });
    expect(loaded.map(g => g.name).sort()).toEqual(
      expected.map(g => g.name).sort(),
    );
    expect(loaded.flatMap(g => g.rules)).toHaveLength(45);
    expect(
      loaded.flatMap(g => g.rules).filter(r => r.type === 'alerting'),
    ).toHaveLength(12);
    for (const r of loaded.flatMap(g => g.rules)) {
      expect(r.lastError ?? '').toBe('');
    }

    // the recordings measure the exporter's payments-api series (selector of the example)
    const value = await until('a recorded 5m error ratio', async () => {
      const q = new URLSearchParams({
        query: `slo:sli_error:ratio_rate5m{service="${service}",slo="availability"}`,
      });
      const r = await fetch(`${promUrl}/api/v1/query?${q}`);
      const body = (await r.json()) as {
        data: { result: { value: [number, string] }[] };
      };
      return body.data.result[0]?.value[1];
    });
    expect(Number(value)).toBeGreaterThanOrEqual(0);
    expect(Number(value)).toBeLessThan(1);

    fs.rmSync(file);
    await reload();
    await until('the groups to be gone', async () =>
      (await groupsOfFile()).length === 0 ? true : undefined,
    );
  });
});
