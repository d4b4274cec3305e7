#!/usr/bin/env node
// Bad input must be refused in the wizard, at the field, before a task starts. This runs the
// wizard's own validator (@rjsf/validator-ajv8, as the scaffolder frontend uses it) over each
// template's parameter pages, the way the frontend prepares them (ui:* keys moved out of the
// JSON schema), and checks that every good parameter set passes and every bad one fails at
// the expected field. The two Shipshape fields add what JSON schema cannot say: the name is not
// already in the catalog, the cost center follows app-config shipshape.policy. Their own rules
// (plugins/shipshape/src/components/fields/rules.ts, bundled here with esbuild) run against the
// example catalog and the repository's app-config policy.
//
// usage: node check-wizard-validation.mjs [template-dir ...]   (default: every *-service)
// Needs the repo's node_modules. Prints "N passed, N failed".
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { validator, wizardPages, withPageDefaults } from './wizard.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const req = createRequire(path.join(root, '..', 'package.json'));
const yaml = req('yaml');

const good = JSON.parse(fs.readFileSync(path.join(here, 'params/critical-postgresql.json'), 'utf8'));
const cases = [
  ['upper case and underscore in the name', { name: 'Payments_API' }, '.name'],
  ['name starting with a dash', { name: '-payments' }, '.name'],
  ['name ending with a dash', { name: 'payments-' }, '.name'],
  ['name longer than 63 characters', { name: `a${'b'.repeat(63)}` }, '.name'],
  ['owner that is a User, not a Group', { owner: 'user:default/guest' }, '.owner'],
  ['owner given as free text', { owner: 'payments team' }, '.owner'],
  ['system that is not a System', { system: 'component:default/shop' }, '.system'],
  ['unknown tier', { tier: 'gold' }, '.tier'],
  ['no environment', { environments: [] }, '.environments'],
  ['unknown environment', { environments: ['dev'] }, '.environments'],
  ['latency threshold below 10 ms', { latencyThresholdMs: 5 }, '.latencyThresholdMs'],
  ['availability target above 99.999', { availabilityTarget: 100 }, '.availabilityTarget'],
  ['backup target that is a connection string', { backupTarget: 'postgres://u:p@db/x' }, '.backupTarget'],
  ['unknown database', { database: 'mysql' }, '.database'],
];

// The fields' rules, as the wizard runs them (the same module, bundled for node).
const repo = path.resolve(root, '..');
const fieldsDir = path.join(repo, 'plugins/shipshape/src/components/fields');
const bundle = req('esbuild').buildSync({
  stdin: {
    contents: `export * from './rules';
      export { parseShipshapePolicy } from '@shipshape/plugin-shipshape-common';`,
    resolveDir: fieldsDir,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  external: ['@backstage/*', 'yaml'],
  write: false,
  logLevel: 'error',
});
const mod = { exports: {} };
new Function('module', 'exports', 'require', bundle.outputFiles[0].text)(mod, mod.exports, req);
const rules = mod.exports;
const appConfig = yaml.parse(fs.readFileSync(path.join(repo, 'app-config.yaml'), 'utf8'));
const policy = rules.parseShipshapePolicy(appConfig.shipshape?.policy);
// the example catalog the portal loads (app-config catalog.locations), as catalogApi would answer
const catalogEntities = yaml
  .parseAllDocuments(fs.readFileSync(path.join(repo, 'examples/entities.yaml'), 'utf8'))
  .map(d => d.toJS())
  .filter(Boolean);
const catalogApi = {
  async getEntities({ filter }) {
    const kinds = [filter.kind].flat().map(k => k.toLowerCase());
    return {
      items: catalogEntities.filter(
        e => kinds.includes(e.kind.toLowerCase()) && e.metadata.name === filter['metadata.name'],
      ),
    };
  },
};
const fieldCases = [
  ['a name already in the catalog', { name: 'payments-api' }, 'name', /^payments-api is already in the catalog \(component:default\/payments-api\)/],
  ['a name that is not a DNS-1123 label', { name: 'Payments_API' }, 'name', /^not a DNS-1123 label/],
  ['a cost center outside the policy', { costCenter: 'CC-12' }, 'costCenter', /^Cost center outside the policy: .*CC-12/],
  ['a cost center in lower case', { costCenter: 'cc-1234' }, 'costCenter', /^Cost center outside the policy: .*cc-1234/],
];
const fieldErrors = async data => ({
  name: await rules.serviceNameError(data.name, catalogApi),
  costCenter: rules.costCenterError(policy, data.costCenter),
});

let passed = 0;
let failed = 0;
const dirs = process.argv.slice(2).length
  ? process.argv.slice(2)
  : fs.readdirSync(root).filter(d => fs.existsSync(path.join(root, d, 'skeleton')) && fs.existsSync(path.join(root, d, 'template.yaml'))).map(d => path.join(root, d));
for (const dir of dirs) {
  const template = yaml.parse(fs.readFileSync(path.join(dir, 'template.yaml'), 'utf8'));
  const pages = wizardPages(template);
  // like the wizard: each page fills its schema defaults, then validates what the user gave
  const errorsFor = data =>
    pages.flatMap(schema =>
      validator.validateFormData(withPageDefaults(schema, data), schema).errors.map(e => `${e.property} ${e.message}`),
    );
  const check = (what, ok) => {
    if (ok) passed++;
    else failed++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${path.basename(dir)}: ${what}`);
  };
  for (const f of fs.readdirSync(path.join(here, 'params')).filter(f => f.endsWith('.json'))) {
    const data = JSON.parse(fs.readFileSync(path.join(here, 'params', f), 'utf8'));
    const errs = errorsFor(data);
    check(`accepts ${f}${errs.length ? `: ${errs.join('; ')}` : ''}`, errs.length === 0);
  }
  for (const [what, change, field] of cases) {
    const errs = errorsFor({ ...good, ...change });
    const atField = errs.filter(e => e.startsWith(`${field} `) || e.startsWith(`${field}.`));
    check(`refuses ${what} at ${field}${atField.length ? ` (${atField[0]})` : ` — got: ${errs.join('; ') || 'no error'}`}`, atField.length > 0);
  }

  // The Shipshape fields: wired in the template, and their rules refuse what JSON schema cannot.
  const props = Object.assign({}, ...template.spec.parameters.map(p => p.properties ?? {}));
  check('name uses ui:field ShipshapeServiceName and keeps its DNS-1123 pattern', props.name?.['ui:field'] === 'ShipshapeServiceName' && typeof props.name?.pattern === 'string');
  check('costCenter uses ui:field ShipshapeCostCenter with no pattern of its own (the policy decides)', props.costCenter?.['ui:field'] === 'ShipshapeCostCenter' && props.costCenter?.pattern === undefined);
  // the render fixtures' names are free in the example catalog (the server's check step runs
  // on them too, in run-scaffolder.mjs)
  for (const f of fs.readdirSync(path.join(here, 'params')).filter(f => f.endsWith('.json'))) {
    const data = JSON.parse(fs.readFileSync(path.join(here, 'params', f), 'utf8'));
    const errs = Object.values(await fieldErrors(data)).filter(Boolean);
    check(`the fields accept the name and cost center of ${f}${errs.length ? `: ${errs.join('; ')}` : ''}`, errs.length === 0);
  }
  const free = await fieldErrors(good);
  check(`the fields accept ${good.name} (not in the catalog) and ${good.costCenter}${free.name || free.costCenter ? `: ${free.name ?? ''} ${free.costCenter ?? ''}` : ''}`, !free.name && !free.costCenter);
  for (const [what, change, field, expected] of fieldCases) {
    const errs = await fieldErrors({ ...good, ...change });
    const others = Object.entries(errs).filter(([k, v]) => k !== field && v);
    check(`the ${field} field refuses ${what} (${errs[field] ?? 'no error'})`, expected.test(errs[field] ?? '') && others.length === 0);
  }
}
// The rule is the policy's, not a pattern in the template: another policy, another verdict.
const finance = rules.parseShipshapePolicy({ tags: [{ name: 'shipshape.dev/cost-center', pattern: '^FIN-\\d{3}$' }] });
const check0 = (what, ok) => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
};
check0('with a policy of ^FIN-\\d{3}$ the cost-center field accepts FIN-123 and refuses CC-1234', rules.costCenterError(finance, 'FIN-123') === undefined && /FIN/.test(rules.costCenterError(finance, 'CC-1234') ?? ''));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
