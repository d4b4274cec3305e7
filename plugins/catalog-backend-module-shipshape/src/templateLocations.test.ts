import { ConfigReader } from '@backstage/config';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { catalogModuleShipshape } from './module';
import {
  missingTemplateLocations,
  noTemplateLocationWarning,
} from './templateLocations';

const README_TARGET = '../../node_modules/@shipshape/templates/templates.yaml';

const locations = (...targets: string[]) =>
  new ConfigReader({
    catalog: {
      locations: [
        {
          type: 'url',
          target: 'https://example.com/@shipshape/templates/x.yaml',
        },
        { type: 'file', target: '../../examples/entities.yaml' },
        ...targets.map(target => ({ type: 'file', target })),
      ],
    },
  });

describe('a missing template location', () => {
  let portal: string;
  let backend: string;
  beforeEach(() => {
    portal = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-portal-'));
    backend = path.join(portal, 'packages', 'backend');
    fs.mkdirSync(backend, { recursive: true });
  });
  afterEach(() => fs.rmSync(portal, { recursive: true, force: true }));

  const install = () => {
    const pkg = path.join(portal, 'node_modules', '@shipshape', 'templates');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(
      path.join(pkg, 'package.json'),
      '{"name":"@shipshape/templates"}',
    );
    fs.writeFileSync(path.join(pkg, 'templates.yaml'), 'kind: Location\n');
  };

  it('package not installed: names the key and the path, and says to add the package', () => {
    expect(missingTemplateLocations(locations(README_TARGET), backend)).toEqual(
      [
        `catalog.locations[2].target ${README_TARGET} does not exist (${portal}/node_modules/@shipshape/templates/templates.yaml), so the Shipshape templates are not in the catalog: add @shipshape/templates to the backend (yarn --cwd packages/backend add @shipshape/templates), or fix the path`,
      ],
    );
  });

  it('installed, wrong path: says where the package is and which target works', () => {
    install();
    const wrong = '../node_modules/@shipshape/templates/templates.yaml';
    expect(missingTemplateLocations(locations(wrong), backend)).toEqual([
      `catalog.locations[2].target ${wrong} does not exist (${portal}/packages/node_modules/@shipshape/templates/templates.yaml), so the Shipshape templates are not in the catalog: @shipshape/templates is installed at ${portal}/node_modules/@shipshape/templates; point the target at ${README_TARGET}`,
    ]);
  });

  it("installed as the README says: nothing to report; other locations are not Shipshape's", () => {
    install();
    expect(missingTemplateLocations(locations(README_TARGET), backend)).toEqual(
      [],
    );
    expect(missingTemplateLocations(locations(), backend)).toEqual([]);
  });

  it('the catalog module logs it at start, one error line, and starts', async () => {
    const logger = mockServices.logger.mock();
    await startTestBackend({
      extensionPoints: [
        [catalogProcessingExtensionPoint, { addProcessor: () => {} }],
      ],
      features: [
        catalogModuleShipshape,
        catalogServiceMock.factory({ entities: [] }),
        logger.factory,
        mockServices.rootConfig.factory({
          data: {
            catalog: { locations: [{ type: 'file', target: README_TARGET }] },
          },
        }),
      ],
    });
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringMatching(
        /^catalog\.locations\[0\]\.target \.\.\/\.\.\/node_modules\/@shipshape\/templates\/templates\.yaml does not exist \(.*\), so the Shipshape templates are not in the catalog: add @shipshape\/templates to the backend/,
      ),
    );
  });
});

describe('no templates location at all', () => {
  const WARNING =
    'catalog.locations has no entry for the Shipshape templates, so the Deploy link on each service opens a template that is not in the catalog (template:default/shipshape-deploy-service): add { type: file, target: ../../node_modules/@shipshape/templates/templates.yaml } to catalog.locations and a catalog.rules entry that allows Template there (README, installing step 5)';
  // this repository's backend folder: its app-config.yaml targets are relative to it
  const backend = path.resolve(__dirname, '../../../packages/backend');
  const config = (...entries: object[]) =>
    new ConfigReader({ catalog: { locations: entries } });
  const file = (target: string) => ({ type: 'file', target });

  it('no catalog.locations, or only other entries: one line naming the key', () => {
    expect(noTemplateLocationWarning(new ConfigReader({}), backend)).toBe(
      WARNING,
    );
    expect(
      noTemplateLocationWarning(
        config(
          file('../../examples/entities.yaml'),
          file('../../templates/node-service/template.yaml'),
          { type: 'url', target: 'https://example.com/catalog-info.yaml' },
        ),
        backend,
      ),
    ).toBe(WARNING);
  });

  it('a location file that exists but does not list the deploy template: warned', () => {
    expect(
      noTemplateLocationWarning(
        config(file('../../catalog-info.yaml')),
        backend,
      ),
    ).toBe(WARNING);
  });

  it('a wrong package path is the missing-location error, not this warning', () => {
    const wrong = '../node_modules/@shipshape/templates/templates.yaml';
    expect(noTemplateLocationWarning(config(file(wrong)), backend)).toBe(
      undefined,
    );
    expect(missingTemplateLocations(config(file(wrong)), backend)).toHaveLength(
      1,
    );
  });

  it.each([
    ['the package, as the README says', file(README_TARGET)],
    ['the Location file of a checkout', file('../../templates/templates.yaml')],
    [
      'the deploy template itself (this repository)',
      file('../../templates/deploy-service/template.yaml'),
    ],
    [
      'a URL to a templates.yaml',
      {
        type: 'url',
        target:
          'https://github.com/acme/shipshape/blob/main/templates/templates.yaml',
      },
    ],
  ])('registered by %s: nothing to say', (_what, entry) => {
    expect(noTemplateLocationWarning(config(entry), backend)).toBe(undefined);
  });

  it("this repository's app-config.yaml and app-config.production.yaml register them", () => {
    const root = path.resolve(backend, '../..');
    for (const [name, cwd] of [
      ['app-config.yaml', backend],
      ['app-config.production.yaml', root],
    ]) {
      const data = YAML.parse(fs.readFileSync(path.join(root, name), 'utf8'));
      expect(noTemplateLocationWarning(new ConfigReader(data), cwd)).toBe(
        undefined,
      );
    }
  });

  it('the catalog module warns at start, one line, and starts', async () => {
    const logger = mockServices.logger.mock();
    await startTestBackend({
      extensionPoints: [
        [catalogProcessingExtensionPoint, { addProcessor: () => {} }],
      ],
      features: [
        catalogModuleShipshape,
        catalogServiceMock.factory({ entities: [] }),
        logger.factory,
        mockServices.rootConfig.factory({
          data: { catalog: { locations: [file('../../examples/org.yaml')] } },
        }),
      ],
    });
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(WARNING);
    expect(logger.error).not.toHaveBeenCalled();
  });
});
