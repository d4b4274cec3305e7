#!/usr/bin/env node
// Runs a template through the real Backstage scaffolder engine: the NunjucksWorkflowRunner
// of @backstage/plugin-scaffolder-backend (parameter rendering, `if:`, `each:`, step
// outputs, the output links) with the real fetch:template action and the real
// shipshape:service:check (against a stand-in catalog of the example entities, see
// example-catalog.mjs, and app-config's policy), shipshape:catalog:annotations and
// shipshape:slo:rules of plugins/scaffolder-backend-module-shipshape. Only the actions that
// leave the machine are stand-ins that record their input and answer with plausible output:
// publish:github, github:environment:create, catalog:register, shipshape:publish:local.
// The files that would be published are copied to <out-dir>.
//
// usage: node run-scaffolder.mjs <template-dir> <parameters.json> <out-dir> [--dry-run]
//   parameters.json: as the wizard submits them (render.mjs writes one with the schema
//   defaults applied: RENDER_DUMP_INPUTS=<file>, key "parameters").
// Needs the repo's node_modules (yarn install). Prints the rendered step inputs as JSON.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { exampleCatalog, appConfigPolicyInput } from './example-catalog.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const req = createRequire(path.join(repo, 'package.json'));
const backendDir = path.dirname(req.resolve('@backstage/plugin-scaffolder-backend/package.json'));
// not exported by the package: loaded by file, the same engine the scaffolder backend runs
const { NunjucksWorkflowRunner } = req(path.join(backendDir, 'dist/scaffolder/tasks/NunjucksWorkflowRunner.cjs.js'));
const { createFetchTemplateAction, createCatalogRegisterAction } = req('@backstage/plugin-scaffolder-backend');
const { createPublishGithubAction, createGithubEnvironmentAction } = req('@backstage/plugin-scaffolder-backend-module-github');
const { createTemplateAction } = req('@backstage/plugin-scaffolder-node');
const { templateEntityV1beta3Validator } = req('@backstage/plugin-scaffolder-common');
const { ScmIntegrations } = req('@backstage/integration');
const { ConfigReader } = req('@backstage/config');
const yaml = req('yaml');
// Shipshape's own template action, the real one (TypeScript, loaded with Backstage's node transform)
req('@backstage/cli-node/config/nodeTransform.cjs');
const shipshapeActions = path.join(repo, 'plugins/scaffolder-backend-module-shipshape/src/actions');
const { createSloRulesAction } = req(path.join(shipshapeActions, 'sloRules.ts'));
const { createCatalogAnnotationsAction } = req(path.join(shipshapeActions, 'catalogAnnotations.ts'));
const { createServiceCheckAction } = req(path.join(shipshapeActions, 'serviceCheck.ts'));
const { parseShipshapePolicy } = req(path.join(repo, 'plugins/shipshape-common/src/policy.ts'));

const [templateDir, paramsFile, outDir, ...flags] = process.argv.slice(2);
const dryRun = flags.includes('--dry-run');
const templateFile = path.resolve(templateDir, 'template.yaml');
const template = yaml.parse(fs.readFileSync(templateFile, 'utf8'));
await templateEntityV1beta3Validator.check(template);
let parameters = JSON.parse(fs.readFileSync(paramsFile, 'utf8'));
if (parameters.parameters) parameters = parameters.parameters; // render.mjs dump

const calls = [];
fs.rmSync(outDir, { recursive: true, force: true });
// The stand-ins carry the real actions' input schemas where the real action is installed,
// so the runner validates each rendered input exactly as in production.
const integrationsForReal = ScmIntegrations.fromConfig(new ConfigReader({ integrations: { github: [{ host: 'github.com' }] } }));
const noCatalog = new Proxy({}, { get: () => async () => { throw new Error('no catalog here'); } });
const real = {
  'publish:github': createPublishGithubAction({ integrations: integrationsForReal, config: new ConfigReader({}) }),
  'github:environment:create': createGithubEnvironmentAction({ integrations: integrationsForReal, catalog: noCatalog }),
  'catalog:register': createCatalogRegisterAction({ catalog: noCatalog, catalogClient: noCatalog, integrations: integrationsForReal, auth: noCatalog }),
};
const stub = (id, outputs) => {
  const action = createTemplateAction({
    id,
    description: `stand-in for ${id}`,
    supportsDryRun: false,
    async handler(ctx) {
      calls.push({ action: id, step: ctx.step?.id, input: ctx.input });
      for (const [k, v] of Object.entries(outputs(ctx))) ctx.output(k, v);
    },
  });
  return real[id] ? { ...action, schema: real[id].schema } : action;
};
const publish = ctx => fs.cpSync(ctx.workspacePath, outDir, { recursive: true });
const integrations = ScmIntegrations.fromConfig(new ConfigReader({ integrations: { github: [{ host: 'github.com' }] } }));
const noRead = async () => { throw new Error('no URL reads in this runner'); };
const actions = new Map(
  [
    createFetchTemplateAction({ reader: { readUrl: noRead, readTree: noRead, search: noRead }, integrations }),
    createServiceCheckAction({ catalog: exampleCatalog(repo), policy: parseShipshapePolicy(appConfigPolicyInput(repo)) }),
    createCatalogAnnotationsAction(),
    createSloRulesAction(),
    stub('publish:github', ctx => {
      publish(ctx);
      const q = new URLSearchParams(ctx.input.repoUrl.split('?')[1]);
      const base = `https://github.com/${q.get('owner')}/${q.get('repo')}`;
      return { remoteUrl: base, repoContentsUrl: `${base}/blob/main`, commitHash: '0'.repeat(40) };
    }),
    stub('github:environment:create', () => ({})),
    stub('shipshape:publish:local', ctx => {
      publish(ctx);
      return { repoContentsUrl: `file://${path.resolve(outDir)}`, catalogInfoUrl: `file://${path.resolve(outDir)}/catalog-info.yaml` };
    }),
    stub('catalog:register', () => ({
      entityRef: `component:default/${parameters.name}`,
      catalogInfoUrl: 'recorded',
    })),
  ].map(a => [a.id, a]),
);
const logger = {
  info() {}, debug() {}, warn: m => console.error(`warn: ${m}`), error: m => console.error(`error: ${m}`),
  child() { return logger; },
};
// the engine's task workspaces; removed on exit (process.exit included)
const workingDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'run-scaffolder-'));
process.on('exit', () => fs.rmSync(workingDirectory, { recursive: true, force: true }));
const runner = new NunjucksWorkflowRunner({
  actionRegistry: { get: async id => { const a = actions.get(id); if (!a) throw new Error(`no action ${id}`); return a; } },
  integrations,
  logger,
  workingDirectory,
  metrics: { createCounter: () => ({ add() {} }), createHistogram: () => ({ record() {} }) },
});
const logs = [];
const task = {
  spec: {
    apiVersion: template.apiVersion,
    steps: template.spec.steps,
    output: template.spec.output,
    parameters,
    user: { ref: 'user:default/guest' },
    templateInfo: { entityRef: `template:default/${template.metadata.name}`, baseUrl: `file://${templateFile}` },
  },
  isDryRun: dryRun,
  secrets: {},
  createdBy: 'user:default/guest',
  cancelSignal: new AbortController().signal,
  getWorkspaceName: async () => `task-${process.pid}`,
  getInitiatorCredentials: async () => ({ $$type: '@backstage/BackstageCredentials', principal: { type: 'user', userEntityRef: 'user:default/guest' } }),
  emitLog: async (message, meta) => logs.push({ message, ...meta }),
  getTaskState: async () => undefined,
  updateCheckpoint: async () => {},
  serializeWorkspace: async () => {},
  cleanWorkspace: async () => {},
  rehydrateWorkspace: async () => {},
  complete: async () => {},
};
const started = Date.now();
try {
  const { output } = await runner.execute(task);
  const ms = Date.now() - started;
  console.log(JSON.stringify({ template: template.metadata.name, dryRun, ms, output, calls }, null, 2));
} catch (e) {
  console.error(logs.filter(l => l.status).map(l => `${l.stepId ?? ''} ${l.status} ${l.message.split('\n')[0]}`).join('\n'));
  console.error(`run-scaffolder: ${e.stack ?? e}`);
  // what the stand-ins were asked to do before the failure (publish, register): for the tests
  console.log(JSON.stringify({ template: template.metadata.name, dryRun, failed: e.message, calls }, null, 2));
  process.exit(1);
}
