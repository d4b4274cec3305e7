#!/usr/bin/env node
// Runs a template through the real Backstage scaffolder engine: the NunjucksWorkflowRunner
// of @backstage/plugin-scaffolder-backend (parameter rendering, `if:`, `each:`, step
// outputs, the output links) with the real fetch:template and fs:rename actions and the real
// shipshape:service:check (against a stand-in catalog of the example entities, see
// example-catalog.mjs, and app-config's policy), shipshape:catalog:annotations and
// shipshape:slo:rules of plugins/scaffolder-backend-module-shipshape. Only the actions that
// leave the machine are stand-ins that record their input and answer with plausible output:
// publish:github, github:environment:create, catalog:register, shipshape:publish:local.
// The files that would be published are copied to <out-dir>. With --dry-run the backend's
// own dry runner (createDryRunner, as the template editor's dry run calls it) runs the task:
// it skips the stand-ins, and the workspace files it returns are written to <out-dir>.
// The parameters get the wizard's schema defaults first (wizard.mjs).
//
// usage: node run-scaffolder.mjs <template-dir> <parameters.json> <out-dir> [--dry-run]
//          prints a report (template, parameters with defaults, ms, output, stand-in calls)
//        node run-scaffolder.mjs --batch <jobs.tsv>
//          one task a line: <template-dir> TAB <parameters.json> TAB <out-dir> [TAB --dry-run],
//          all in this one process; each report goes to <out-dir>.json, each task's log to
//          <out-dir>.log; prints "ok <ms> ms <out-dir>" or "FAIL <out-dir>: <error>" a task
// Needs the repo's node_modules (yarn install). Exit status 1 when a task failed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { exampleCatalog, appConfigPolicyInput } from './example-catalog.mjs';
import { wizardValues } from './wizard.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const req = createRequire(path.join(repo, 'package.json'));
const backendDir = path.dirname(req.resolve('@backstage/plugin-scaffolder-backend/package.json'));
// not exported by the package: loaded by file, the same engine the scaffolder backend runs
const { NunjucksWorkflowRunner } = req(path.join(backendDir, 'dist/scaffolder/tasks/NunjucksWorkflowRunner.cjs.js'));
const { createDryRunner } = req(path.join(backendDir, 'dist/scaffolder/dryrun/createDryRunner.cjs.js'));
const { createFetchTemplateAction, createFilesystemRenameAction, createCatalogRegisterAction } = req('@backstage/plugin-scaffolder-backend');
const { createPublishGithubAction, createGithubEnvironmentAction } = req('@backstage/plugin-scaffolder-backend-module-github');
const { createTemplateAction, serializeDirectoryContents, deserializeDirectoryContents } = req('@backstage/plugin-scaffolder-node');
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

const integrations = ScmIntegrations.fromConfig(new ConfigReader({ integrations: { github: [{ host: 'github.com' }] } }));
const noCatalog = new Proxy({}, { get: () => async () => { throw new Error('no catalog here'); } });
// The stand-ins carry the real actions' input schemas where the real action is installed,
// so the runner validates each rendered input exactly as in production.
const real = {
  'publish:github': createPublishGithubAction({ integrations, config: new ConfigReader({}) }),
  'github:environment:create': createGithubEnvironmentAction({ integrations, catalog: noCatalog }),
  'catalog:register': createCatalogRegisterAction({ catalog: noCatalog, catalogClient: noCatalog, integrations, auth: noCatalog }),
};
const noRead = async () => { throw new Error('no URL reads in this runner'); };
const realActions = [
  createFetchTemplateAction({ reader: { readUrl: noRead, readTree: noRead, search: noRead }, integrations }),
  createFilesystemRenameAction(),
  createServiceCheckAction({ catalog: exampleCatalog(repo), policy: parseShipshapePolicy(appConfigPolicyInput(repo)) }),
  createCatalogAnnotationsAction(),
  createSloRulesAction(),
];
const metrics = { createCounter: () => ({ add() {} }), createHistogram: () => ({ record() {} }) };
const credentials = { $$type: '@backstage/BackstageCredentials', principal: { type: 'user', userEntityRef: 'user:default/guest' } };
// the engine's task workspaces; removed on exit (process.exit included)
const workingDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'run-scaffolder-'));
process.on('exit', () => fs.rmSync(workingDirectory, { recursive: true, force: true }));

// One task: the template with these user inputs, through the engine; the report as JSON.
// `log(line)` receives the engine's warnings and errors.
async function runTask(templateDir, paramsFile, outDir, dryRun, log) {
  const templateFile = path.resolve(templateDir, 'template.yaml');
  const template = yaml.parse(fs.readFileSync(templateFile, 'utf8'));
  await templateEntityV1beta3Validator.check(template);
  const parameters = wizardValues(template, JSON.parse(fs.readFileSync(paramsFile, 'utf8')));
  const calls = [];
  fs.rmSync(outDir, { recursive: true, force: true });
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
  const actions = new Map(
    [
      ...realActions,
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
      stub('catalog:register', () => ({ entityRef: `component:default/${parameters.name}`, catalogInfoUrl: 'recorded' })),
    ].map(a => [a.id, a]),
  );
  const logger = { info() {}, debug() {}, warn: m => log(`warn: ${m}`), error: m => log(`error: ${m}`), child: () => logger };
  const options = {
    actionRegistry: { get: async id => { const a = actions.get(id); if (!a) throw new Error(`no action ${id}`); return a; } },
    integrations,
    logger,
    workingDirectory,
    metrics,
  };
  const spec = {
    apiVersion: template.apiVersion,
    steps: template.spec.steps,
    output: template.spec.output,
    parameters,
    user: { ref: 'user:default/guest' },
  };
  const started = Date.now();
  const logs = [];
  try {
    let output;
    if (dryRun) {
      // as the backend's dry-run endpoint: the template's files in a content dir of its own
      const contentsPath = fs.mkdtempSync(path.join(workingDirectory, 'dry-run-content-'));
      const result = await createDryRunner(options)({
        spec: { ...spec, steps: spec.steps.map((s, i) => ({ ...s, id: s.id ?? `step-${i + 1}`, name: s.name ?? s.action })) },
        templateInfo: { entityRef: 'template:default/dry-run', baseUrl: pathToFileURL(path.join(contentsPath, 'template.yaml')).toString() },
        directoryContents: await serializeDirectoryContents(path.resolve(templateDir)),
        secrets: {},
        credentials,
      });
      logs.push(...result.log.map(l => l.body));
      await deserializeDirectoryContents(outDir, result.directoryContents);
      output = result.output;
    } else {
      ({ output } = await new NunjucksWorkflowRunner(options).execute({
        spec: { ...spec, templateInfo: { entityRef: `template:default/${template.metadata.name}`, baseUrl: pathToFileURL(templateFile).toString() } },
        isDryRun: false,
        secrets: {},
        createdBy: 'user:default/guest',
        cancelSignal: new AbortController().signal,
        getWorkspaceName: async () => `task-${process.pid}-${started}`,
        getInitiatorCredentials: async () => credentials,
        emitLog: async (message, meta) => logs.push({ message, ...meta }),
        getTaskState: async () => undefined,
        updateCheckpoint: async () => {},
        serializeWorkspace: async () => {},
        cleanWorkspace: async () => {},
        rehydrateWorkspace: async () => {},
        complete: async () => {},
      }));
    }
    return { template: template.metadata.name, dryRun, parameters, ms: Date.now() - started, output, calls };
  } catch (e) {
    log(logs.filter(l => l.status).map(l => `${l.stepId ?? ''} ${l.status} ${String(l.message).split('\n')[0]}`).join('\n'));
    log(`run-scaffolder: ${e.stack ?? e}`);
    // what the stand-ins were asked to do before the failure (publish, register): for the tests
    return { template: template.metadata.name, dryRun, parameters, failed: e.message, calls };
  }
}

const args = process.argv.slice(2);
if (args[0] === '--batch') {
  let failures = 0;
  for (const line of fs.readFileSync(args[1], 'utf8').split('\n').filter(Boolean)) {
    const [templateDir, paramsFile, outDir, flag] = line.split('\t');
    const logFile = `${outDir}.log`;
    fs.writeFileSync(logFile, '');
    const report = await runTask(templateDir, paramsFile, outDir, flag === '--dry-run', m => fs.appendFileSync(logFile, `${m}\n`));
    fs.writeFileSync(`${outDir}.json`, JSON.stringify(report, null, 2));
    if (report.failed) failures++;
    console.log(report.failed ? `FAIL ${outDir}: ${report.failed.split('\n')[0]}` : `ok ${report.ms} ms ${outDir}`);
  }
  process.exit(failures ? 1 : 0);
}
const [templateDir, paramsFile, outDir, flag] = args;
if (!outDir) {
  console.error('usage: node run-scaffolder.mjs <template-dir> <parameters.json> <out-dir> [--dry-run] | --batch <jobs.tsv>');
  process.exit(2);
}
const report = await runTask(templateDir, paramsFile, outDir, flag === '--dry-run', m => console.error(m));
console.log(JSON.stringify(report, null, 2));
process.exit(report.failed ? 1 : 0);
