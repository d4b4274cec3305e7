import { Config } from '@backstage/config';
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
