// The wizard's part of a task, for the template scripts: the scaffolder frontend moves the
// `ui:*` keys of each parameter page out of the JSON schema, fills the page's schema defaults
// (@rjsf/utils getDefaultFormState with @rjsf/validator-ajv8, as its forms do; `dependencies`
// / `oneOf` branches included) and submits what the user gave plus those defaults.
// Needs the repo's node_modules.
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const req = createRequire(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package.json'),
);
export const validator = req('@rjsf/validator-ajv8').default;
const { getDefaultFormState } = req('@rjsf/utils');

// the frontend's split: `ui:*` keys go to the uiSchema, the rest is JSON schema
function stripUi(node) {
  if (Array.isArray(node)) return node.map(stripUi);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k]) => !k.startsWith('ui:'))
      .map(([k, v]) => [k, stripUi(v)]),
  );
}

export const wizardPages = template => [template.spec.parameters ?? []].flat().map(stripUi);

// one page: its defaults under what is already filled in
export const withPageDefaults = (schema, data) => ({
  ...getDefaultFormState(validator, schema, data, schema),
  ...data,
});

// what the wizard submits for these user inputs, page after page
export const wizardValues = (template, given) =>
  wizardPages(template).reduce((data, schema) => withPageDefaults(schema, data), { ...given });
