#!/usr/bin/env node
// Bad input must be refused in the wizard, at the field, before a task starts. This runs the
// wizard's own validator (@rjsf/validator-ajv8, as the scaffolder frontend uses it) over each
// template's parameter pages, the way the frontend prepares them (ui:* keys moved out of the
// JSON schema), and checks that every good parameter set passes and every bad one fails at
// the expected field.
//
// usage: node check-wizard-validation.mjs [template-dir ...]   (default: every *-service)
// Needs the repo's node_modules. Prints "N passed, N failed".
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const req = createRequire(path.join(root, '..', 'package.json'));
const validator = req('@rjsf/validator-ajv8').default;
const { getDefaultFormState } = req('@rjsf/utils');
const yaml = req('yaml');

// the scaffolder frontend's split: `ui:*` keys go to the uiSchema, the rest is JSON schema
function stripUi(node) {
  if (Array.isArray(node)) return node.map(stripUi);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k]) => !k.startsWith('ui:'))
      .map(([k, v]) => [k, stripUi(v)]),
  );
}

const good = JSON.parse(fs.readFileSync(path.join(here, 'params/critical-postgresql.json'), 'utf8'));
const cases = [
  ['upper case and underscore in the name', { name: 'Payments_API' }, '.name'],
  ['name starting with a dash', { name: '-payments' }, '.name'],
  ['name ending with a dash', { name: 'payments-' }, '.name'],
  ['name longer than 63 characters', { name: `a${'b'.repeat(63)}` }, '.name'],
  ['cost center outside the policy', { costCenter: 'CC-12' }, '.costCenter'],
  ['cost center in lower case', { costCenter: 'cc-1234' }, '.costCenter'],
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

let passed = 0;
let failed = 0;
const dirs = process.argv.slice(2).length
  ? process.argv.slice(2)
  : fs.readdirSync(root).filter(d => fs.existsSync(path.join(root, d, 'skeleton')) && fs.existsSync(path.join(root, d, 'template.yaml'))).map(d => path.join(root, d));
for (const dir of dirs) {
  const template = yaml.parse(fs.readFileSync(path.join(dir, 'template.yaml'), 'utf8'));
  const pages = template.spec.parameters.map(stripUi);
  // like the wizard: each page fills its schema defaults, then validates what the user gave
  const errorsFor = data =>
    pages.flatMap(schema => {
      const filled = { ...getDefaultFormState(validator, schema, data, schema), ...data };
      return validator.validateFormData(filled, schema).errors.map(e => `${e.property} ${e.message}`);
    });
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
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
