#!/usr/bin/env node
// Cross-check render.mjs against the real Backstage engine: validates template.yaml with
// the scaffolder's own Template v1beta3 validator, then replays the fetch:template inputs
// that render.mjs computed through the real `fetch:template` action of
// @backstage/plugin-scaffolder-backend (its SecureTemplater, path rendering and
// copyWithoutTemplating). Needs the repo's node_modules (yarn install).
//
// usage: node render-real.mjs <template-dir> <inputs.json> <out-dir>
//        (inputs.json: RENDER_DUMP_INPUTS=<file> node render.mjs …)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const req = createRequire(path.join(repo, 'package.json'));
const { createFetchTemplateAction } = req('@backstage/plugin-scaffolder-backend');
const { templateEntityV1beta3Validator } = req('@backstage/plugin-scaffolder-common');
const { ScmIntegrations } = req('@backstage/integration');
const { ConfigReader } = req('@backstage/config');
const yaml = req('yaml');

const [templateDir, inputsFile, outDir] = process.argv.slice(2);
const templateFile = path.resolve(templateDir, 'template.yaml');
const entity = yaml.parse(fs.readFileSync(templateFile, 'utf8'));
await templateEntityV1beta3Validator.check(entity); // throws with the schema error
console.error(`render-real: ${entity.metadata.name} is a valid Template v1beta3 entity`);

const action = createFetchTemplateAction({
  reader: { readUrl: async () => { throw new Error('no url reads'); }, readTree: async () => { throw new Error('no url reads'); }, search: async () => { throw new Error('no url reads'); } },
  integrations: ScmIntegrations.fromConfig(new ConfigReader({})),
});
fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(outDir, { recursive: true });
const started = Date.now();
for (const input of JSON.parse(fs.readFileSync(inputsFile, 'utf8')).fetchInputs) {
  const quiet = { info() {}, warn() {}, error: console.error, debug() {}, child: () => quiet };
  const ctx = {
    input,
    logger: quiet,
    workspacePath: path.resolve(outDir),
    templateInfo: { baseUrl: `file://${templateFile}`, entityRef: `template:default/${entity.metadata.name}` },
    output() {},
    async checkpoint(opts) { return opts.fn(); },
    async createTemporaryDirectory() { return fs.mkdtempSync(path.join(outDir, '..', 'tmp-')); },
    getInitiatorCredentials: async () => ({ $$type: '@backstage/BackstageCredentials', principal: { type: 'user', userEntityRef: 'user:default/guest' } }),
    task: { id: 'render-real' },
    step: { id: 'fetch', name: 'fetch' },
    isDryRun: false,
  };
  await action.handler(ctx);
}
console.error(`render-real: fetch:template (real engine) wrote ${outDir} in ${Date.now() - started} ms`);
