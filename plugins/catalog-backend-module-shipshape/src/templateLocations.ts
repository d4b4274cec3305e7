import { Config } from '@backstage/config';
import { SHIPSHAPE_DEPLOY_TEMPLATE_REF } from '@shipshape/plugin-shipshape-common';
import fs from 'node:fs';
import path from 'node:path';

const PACKAGE = '@shipshape/templates';

/**
 * The `catalog.locations` file entries meant for the Shipshape templates (their target names
 * `@shipshape/templates`) whose file does not exist, one line each naming the key, the path it
 * resolves to (file targets are relative to the backend's working directory, as the catalog reads
 * them) and what to do.
 */
export function missingTemplateLocations(
  config: Config,
  cwd: string = process.cwd(),
): string[] {
  const locations = config.getOptionalConfigArray('catalog.locations') ?? [];
  const problems: string[] = [];
  locations.forEach((location, i) => {
    const target = location.getOptionalString('target');
    if (location.getOptionalString('type') !== 'file' || !target) return;
    if (!target.includes(PACKAGE)) return;
    const file = path.resolve(cwd, target);
    if (fs.existsSync(file)) return;
    let installed: string | undefined;
    try {
      installed = require.resolve(`${PACKAGE}/templates.yaml`, {
        paths: [cwd],
      });
    } catch {
      installed = undefined;
    }
    problems.push(
      `catalog.locations[${i}].target ${target} does not exist (${file}), so the Shipshape templates are not in the catalog: ${
        installed
          ? `${PACKAGE} is installed at ${path.dirname(
              installed,
            )}; point the target at ${path.relative(cwd, installed)}`
          : `add ${PACKAGE} to the backend (yarn --cwd packages/backend add ${PACKAGE}), or fix the path`
      }`,
    );
  });
  return problems;
}

const DEPLOY_TEMPLATE = 'deploy-service/template.yaml';

/**
 * Whether a `catalog.locations` entry registers Shipshape's deploy template, the one the Rollout
 * card's Deploy link opens: a target in `@shipshape/templates` (a missing file there is
 * `missingTemplateLocations`' line), the deploy template itself, or a Location file that lists
 * it (`templates.yaml` of the package or of a copy of this repository). A URL is not read at
 * start: one ending in `templates/templates.yaml` counts.
 */
function registersDeployTemplate(location: Config, cwd: string): boolean {
  const target = location.getOptionalString('target') ?? '';
  if (target.includes(PACKAGE) || target.endsWith(DEPLOY_TEMPLATE)) return true;
  if (location.getOptionalString('type') !== 'file') {
    return target.endsWith('templates/templates.yaml');
  }
  try {
    return fs
      .readFileSync(path.resolve(cwd, target), 'utf8')
      .includes(DEPLOY_TEMPLATE);
  } catch {
    return false;
  }
}

/**
 * One line naming `catalog.locations` when none of its entries registers Shipshape's templates:
 * without them the Deploy link on every service leads to a template that is not there. Read from
 * config only (a location added from the catalog's import page is not seen), so a warning.
 */
export function noTemplateLocationWarning(
  config: Config,
  cwd: string = process.cwd(),
): string | undefined {
  const locations = config.getOptionalConfigArray('catalog.locations') ?? [];
  if (locations.some(location => registersDeployTemplate(location, cwd))) {
    return undefined;
  }
  return `catalog.locations has no entry for the Shipshape templates, so the Deploy link on each service opens a template that is not in the catalog (${SHIPSHAPE_DEPLOY_TEMPLATE_REF}): add { type: file, target: ../../node_modules/@shipshape/templates/templates.yaml } to catalog.locations and a catalog.rules entry that allows Template there (README, installing step 5)`;
}
