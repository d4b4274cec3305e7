/*
 * Each example of the configuration help page (SHIPSHAPE_CONFIGURATION_HELP, shown at
 * /shipshape/configuration) is valid app-config for the installed packages: checked against
 * the config schema the backend loads at start (every package's config.d.ts), with undeclared
 * keys refused, so an example with a misspelt or removed key fails here.
 */
import { loadConfigSchema } from '@backstage/config-loader';
import { SHIPSHAPE_CONFIGURATION_HELP } from '@shipshape/plugin-shipshape-common';
import { parse } from 'yaml';

jest.setTimeout(120_000);

const PACKAGES = [
  '@shipshape/plugin-shipshape',
  '@shipshape/plugin-shipshape-backend',
  '@shipshape/plugin-catalog-backend-module-shipshape',
  '@shipshape/plugin-scaffolder-backend-module-shipshape',
];

/** What Backstage's own schemas require of every app-config, beside the example. */
const BASE = {
  context: 'base',
  data: {
    app: { baseUrl: 'http://localhost:3000' },
    backend: {
      baseUrl: 'http://localhost:7007',
      listen: { port: 7007 },
      database: { client: 'better-sqlite3', connection: ':memory:' },
    },
  },
};

describe("the configuration help page's examples", () => {
  let schema: Awaited<ReturnType<typeof loadConfigSchema>>;
  beforeAll(async () => {
    schema = await loadConfigSchema({
      dependencies: PACKAGES,
      noUndeclaredProperties: true,
    });
  });

  const check = (data: unknown) =>
    schema.process([BASE, { context: 'example', data: data as any }], {
      visibility: ['frontend', 'backend', 'secret'],
    });

  it.each(SHIPSHAPE_CONFIGURATION_HELP.map(h => [h.key, h.example]))(
    '%s: its example is valid against the packages’ config.d.ts and sets the key',
    (key, example) => {
      const data = parse(example);
      expect(() => check(data)).not.toThrow();
      const value = key.split('.').reduce<any>((at, part) => at?.[part], data);
      expect(value).toBeDefined();
    },
  );

  it('refuses a bad example, naming the key', () => {
    expect(() =>
      check({ shipshape: { prometheus: { instances: [{ name: 'main' }] } } }),
    ).toThrow(/url/);
    expect(() => check({ shipshape: { backup: { targetz: [] } } })).toThrow(
      /targetz/,
    );
    // catalog.locations is the catalog's key (its schema comes in through the catalog module)
    expect(() => check({ catalog: { locations: [{ type: 'file' }] } })).toThrow(
      /target/,
    );
  });
});
