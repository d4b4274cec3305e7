#!/usr/bin/env node
// Render a Shipshape software template the way the Backstage scaffolder does, without a
// running backend: parameters → `fetch:template` input (type-preserving `${{ }}` rendering,
// as NunjucksWorkflowRunner does) → skeleton (path rendering, empty-path skipping,
// copyWithoutTemplating, as fetch:template does). Only the fetch steps and Shipshape's
// own shipshape:service:check (against the example catalog, example-catalog.mjs),
// shipshape:catalog:annotations and shipshape:slo:rules (same code, needs the repo's
// node_modules) run; publish and register steps are listed, not executed.
//
// This is a stand-in until the real scaffolder test (issue 5 "Proof") drives the engine;
// it uses the same nunjucks version and settings as Backstage's SecureTemplater.
//
// usage: node render.mjs <template-dir> <params.json> <out-dir>
// deps:  nunjucks@3.2.4 and js-yaml@4 resolved from $SHIPSHAPE_RENDER_DEPS
//        (default <repo>/.tools/render-deps; render-all.sh installs them there)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { exampleCatalog, appConfigPolicyInput } from './example-catalog.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const depsDir =
  process.env.SHIPSHAPE_RENDER_DEPS ||
  path.resolve(here, '../../.tools/render-deps');
const req = createRequire(path.join(depsDir, 'node_modules', 'x.js'));
let nunjucks;
let yaml;
try {
  nunjucks = req('nunjucks');
  yaml = req('js-yaml');
} catch {
  console.error(
    `render.mjs: nunjucks/js-yaml not found under ${depsDir}; run\n` +
      `  npm install --prefix ${depsDir} nunjucks@3.2.4 js-yaml@4.1.0`,
  );
  process.exit(2);
}

const [templateDir, paramsFile, outDir] = process.argv.slice(2);
if (!templateDir || !paramsFile || !outDir) {
  console.error('usage: node render.mjs <template-dir> <params.json> <out-dir>');
  process.exit(2);
}

const template = yaml.load(
  fs.readFileSync(path.join(templateDir, 'template.yaml'), 'utf8'),
);
if (template.apiVersion !== 'scaffolder.backstage.io/v1beta3') {
  throw new Error(`unexpected apiVersion ${template.apiVersion}`);
}
const given = JSON.parse(fs.readFileSync(paramsFile, 'utf8'));

// ---------- parameters: apply schema defaults and validate the simple keywords ----------
function collectProperties(schemaPages, values) {
  const props = {};
  const required = [];
  for (const page of schemaPages) {
    Object.assign(props, page.properties ?? {});
    required.push(...(page.required ?? []));
    for (const dep of Object.values(page.dependencies ?? {})) {
      for (const branch of dep.oneOf ?? []) {
        const consts = Object.entries(branch.properties ?? {}).filter(
          ([, s]) => s.const !== undefined,
        );
        if (consts.every(([k, s]) => values[k] === s.const)) {
          for (const [k, s] of Object.entries(branch.properties ?? {})) {
            if (s.const === undefined) props[k] = s;
          }
          required.push(...(branch.required ?? []));
        }
      }
    }
  }
  return { props, required };
}

const parameters = { ...given };
// two passes so that dependency branches see defaults of the fields they depend on
for (let pass = 0; pass < 2; pass++) {
  const { props } = collectProperties(template.spec.parameters, parameters);
  for (const [k, s] of Object.entries(props)) {
    if (parameters[k] === undefined && s.default !== undefined) {
      parameters[k] = s.default;
    }
  }
}
const errors = [];
{
  const { props, required } = collectProperties(template.spec.parameters, parameters);
  for (const k of required) {
    if (parameters[k] === undefined || parameters[k] === '') errors.push(`${k}: required`);
  }
  for (const [k, v] of Object.entries(parameters)) {
    const s = props[k];
    if (!s) continue;
    if (s.pattern && typeof v === 'string' && !new RegExp(s.pattern, 'u').test(v)) {
      errors.push(`${k}: ${JSON.stringify(v)} does not match ${s.pattern}`);
    }
    if (s.maxLength && typeof v === 'string' && v.length > s.maxLength) {
      errors.push(`${k}: longer than ${s.maxLength}`);
    }
    if (s.enum && !s.enum.includes(v)) errors.push(`${k}: not one of ${s.enum}`);
    if (s.type === 'array' && s.items?.enum) {
      for (const i of v) if (!s.items.enum.includes(i)) errors.push(`${k}: ${i} not allowed`);
    }
    if (typeof v === 'number') {
      if (s.minimum !== undefined && v < s.minimum) errors.push(`${k}: below ${s.minimum}`);
      if (s.maximum !== undefined && v > s.maximum) errors.push(`${k}: above ${s.maximum}`);
    }
  }
}
if (errors.length) {
  console.error(`render.mjs: invalid parameters in ${paramsFile}:\n  ${errors.join('\n  ')}`);
  process.exit(3);
}

// ---------- nunjucks environment like Backstage's SecureTemplater ----------
const env = new nunjucks.Environment(null, {
  autoescape: false,
  tags: { variableStart: '${{', variableEnd: '}}' },
});
function parseRepoUrl(url) {
  const u = new URL(`https://${url}`);
  const q = u.searchParams;
  return {
    host: u.host,
    owner: q.get('owner') ?? undefined,
    repo: q.get('repo') ?? undefined,
    organization: q.get('organization') ?? undefined,
    workspace: q.get('workspace') ?? undefined,
    project: q.get('project') ?? undefined,
  };
}
env.addFilter('parseRepoUrl', url => parseRepoUrl(url));
env.addFilter('projectSlug', url => {
  const { owner, repo } = parseRepoUrl(url);
  return `${owner}/${repo}`;
});
env.addFilter('parseEntityRef', (ref, ctx = {}) => {
  const m = /^(?:([^:/]+):)?(?:([^:/]+)\/)?([^:/]+)$/.exec(ref);
  if (!m) throw new Error(`invalid entity ref ${ref}`);
  const kind = m[1] ?? ctx.defaultKind;
  const namespace = m[2] ?? ctx.defaultNamespace ?? 'default';
  return { kind, namespace, name: m[3] };
});
env.addFilter('pick', (obj, key) => obj?.[key]);

const renderString = (s, ctx) => env.renderString(s, ctx);

function isSingleTemplateString(input) {
  const parsed = nunjucks.parser.parse(input, {}, {
    autoescape: false,
    tags: { variableStart: '${{', variableEnd: '}}' },
  });
  return (
    parsed.children.length === 1 &&
    !(parsed.children[0]?.children?.[0] instanceof nunjucks.nodes.TemplateData)
  );
}

// NunjucksWorkflowRunner.render
function renderInput(input, ctx) {
  return JSON.parse(JSON.stringify(input), (_k, value) => {
    if (typeof value !== 'string') return value;
    if (isSingleTemplateString(value)) {
      const wrapped = value.replace(/\${{(.+)}}/g, '${{ ( $1 ) | dump }}');
      const out = renderString(wrapped, ctx);
      if (out === '') return undefined;
      return JSON.parse(out);
    }
    const out = renderString(value, ctx);
    return out === '' ? undefined : out;
  });
}

// ---------- fetch:template ----------
function globToRegExp(glob) {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
function listEntries(root, rel = '') {
  const out = [];
  for (const d of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) {
      out.push(`${r}/`);
      out.push(...listEntries(root, r));
    } else out.push(r);
  }
  return out;
}
function containsSkippedContent(p) {
  return p === '' || p.startsWith('/') || p.includes('//');
}
function fetchTemplate(input, workspace) {
  const src = path.resolve(templateDir, input.url);
  const dst = path.resolve(workspace, input.targetPath ?? './');
  const copyOnly = (input.copyWithoutTemplating ?? []).map(globToRegExp);
  const ctx = { values: input.values };
  let files = 0;
  for (const location of listEntries(src)) {
    const copyVerbatim = copyOnly.some(re => re.test(location));
    const out = renderString(location, ctx);
    if (containsSkippedContent(out)) continue;
    const target = path.join(dst, out);
    if (fs.existsSync(target) && !input.replace && !location.endsWith('/')) continue;
    if (location.endsWith('/')) {
      fs.mkdirSync(target, { recursive: true });
      continue;
    }
    const from = path.join(src, location);
    const mode = fs.statSync(from).mode;
    const raw = fs.readFileSync(from);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (raw.includes(0)) {
      fs.writeFileSync(target, raw, { mode });
    } else {
      const text = raw.toString('utf8');
      let rendered = text;
      if (!copyVerbatim) {
        try {
          rendered = renderString(text, ctx);
        } catch (e) {
          throw new Error(`${input.url}/${location}: ${e.message}`);
        }
      }
      fs.writeFileSync(target, rendered, { mode });
    }
    files++;
  }
  return files;
}

// ---------- Shipshape's own actions ----------
// Not Backstage's: the emulation runs the same code (plugins/shipshape-common and the
// action's handler, TypeScript loaded with Backstage's node transform), so these steps need
// the repo's node_modules (yarn install).
const repoDir = path.resolve(here, '../..');
function repoRequire(what) {
  const repoReq = createRequire(path.join(repoDir, 'package.json'));
  try {
    repoReq('@backstage/cli-node/config/nodeTransform.cjs');
  } catch (e) {
    throw new Error(`${what} needs the repo's node_modules (yarn install): ${e.message}`);
  }
  return repoReq;
}
// shipshape:catalog:annotations: the action's own handler (it only computes outputs)
async function catalogAnnotations(input) {
  const { createCatalogAnnotationsAction } = repoRequire('shipshape:catalog:annotations')(
    path.join(repoDir, 'plugins/scaffolder-backend-module-shipshape/src/actions/catalogAnnotations.ts'),
  );
  const output = {};
  await createCatalogAnnotationsAction().handler({
    input,
    output: (k, v) => { output[k] = v; },
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  });
  return output;
}
// shipshape:service:check: the action's own handler, the example catalog and app-config's policy
async function serviceCheck(input) {
  const load = repoRequire('shipshape:service:check');
  const { createServiceCheckAction } = load(
    path.join(repoDir, 'plugins/scaffolder-backend-module-shipshape/src/actions/serviceCheck.ts'),
  );
  const { parseShipshapePolicy } = load(path.join(repoDir, 'plugins/shipshape-common/src/policy.ts'));
  const action = createServiceCheckAction({
    catalog: exampleCatalog(repoDir),
    policy: parseShipshapePolicy(appConfigPolicyInput(repoDir)),
  });
  await action.handler({
    input,
    getInitiatorCredentials: async () => ({ principal: { type: 'user', userEntityRef: 'user:default/guest' } }),
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  });
}
// shipshape:slo:rules: the generator the action calls, writing the same file
function sloRules(input, workspace) {
  const { renderSloRuleFile, CHART_SLO_RULES_PATH } = repoRequire('shipshape:slo:rules')(
    path.join(repoDir, 'plugins/shipshape-common/src/slo/render.ts'),
  );
  const sloPath = input.sloPath ?? 'slo.yaml';
  const text = fs.readFileSync(path.join(workspace, sloPath), 'utf8');
  const out = renderSloRuleFile(text, sloPath, {
    service: input.service,
    alertLabels: input.alertLabels,
    runbookUrl: input.runbookUrl,
  });
  const target = path.join(workspace, input.targetPath ?? CHART_SLO_RULES_PATH);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, out);
  return target;
}

// ---------- run ----------
fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(outDir, { recursive: true });
const context = { parameters, steps: {}, user: { ref: 'user:default/guest' } };
const started = process.hrtime.bigint();
const skipped = [];
const fetchInputs = [];
for (const step of template.spec.steps) {
  if (typeof step.if === 'string') {
    const cond = renderInput(step.if, context);
    if (!cond) continue;
  } else if (step.if === false) continue;
  if (step.action === 'fetch:template') {
    const input = renderInput(step.input, context);
    fetchInputs.push(input);
    const n = fetchTemplate(input, outDir);
    context.steps[step.id] = { output: {} };
    console.error(`render.mjs: ${step.id}: ${n} files`);
  } else if (step.action === 'shipshape:service:check') {
    await serviceCheck(renderInput(step.input, context));
    context.steps[step.id] = { output: {} };
  } else if (step.action === 'shipshape:catalog:annotations') {
    context.steps[step.id] = { output: await catalogAnnotations(renderInput(step.input, context)) };
    console.error(`render.mjs: ${step.id}: ${JSON.stringify(context.steps[step.id].output)}`);
  } else if (step.action === 'shipshape:slo:rules') {
    const target = sloRules(renderInput(step.input, context), outDir);
    context.steps[step.id] = { output: {} };
    console.error(`render.mjs: ${step.id}: ${path.relative(outDir, target)}`);
  } else {
    // render the input anyway so that template expression errors surface here
    if (step.each) {
      for (const [key, value] of Object.entries(renderInput(step.each, context))) {
        renderInput(step.input ?? {}, { ...context, each: { key, value } });
      }
    } else renderInput(step.input ?? {}, context);
    skipped.push(`${step.id} (${step.action})`);
    context.steps[step.id] = { output: {} };
  }
}
renderInput(template.spec.output ?? {}, context);
// for render-real.mjs: the exact fetch:template inputs, to replay through the real action
if (process.env.RENDER_DUMP_INPUTS) {
  fs.writeFileSync(process.env.RENDER_DUMP_INPUTS, JSON.stringify({ parameters, fetchInputs }, null, 2));
}
const ms = Number(process.hrtime.bigint() - started) / 1e6;
console.error(
  `render.mjs: rendered ${path.basename(path.resolve(templateDir))} in ${ms.toFixed(0)} ms` +
    (skipped.length ? `; not executed here: ${skipped.join(', ')}` : ''),
);
