import fs from 'fs';
import path from 'path';
import YAML from 'yaml';
import { spec } from './openapi';
import { mismatches, responseMismatches } from './__testUtils__/conforms';

/** Every `router.<method>('<path>' | ['<path>', ...])` in the plugin's routers. */
function routesInSource(): Array<{
  method: string;
  path: string;
  file: string;
}> {
  const src = path.join(__dirname, '..');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (/router\.ts$/.test(e.name)) files.push(full);
    }
  };
  walk(src);
  const routes = [];
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const call =
      /router\.(get|post|put|patch|delete)\(\s*(\[[^\]]*\]|'[^']*')/g;
    for (const m of text.matchAll(call)) {
      for (const p of m[2].matchAll(/'([^']*)'/g)) {
        routes.push({
          method: m[1],
          // express ':id' -> '{id}', a trailing '/*' -> the validator's '{path}*'
          path: p[1].replace(/:(\w+)/g, '{$1}').replace(/\/\*$/, '/{path}*'),
          file: path.relative(src, file),
        });
      }
    }
  }
  return routes;
}

describe('OpenAPI document', () => {
  it('the generated module matches openapi.yaml (run yarn generate:openapi)', () => {
    const yaml = YAML.parse(
      fs.readFileSync(path.join(__dirname, 'openapi.yaml'), 'utf8'),
    );
    expect(JSON.parse(JSON.stringify(spec))).toEqual(yaml);
  });

  it('describes every route the routers register (so every request is validated)', () => {
    const routes = routesInSource();
    expect(routes.length).toBeGreaterThan(15);
    const paths = spec.paths as Record<string, Record<string, unknown>>;
    const missing = routes
      .filter(r => !paths[r.path]?.[r.method])
      .map(r => `${r.method.toUpperCase()} ${r.path} (${r.file})`);
    expect(missing).toEqual([]);
  });

  it('the response check used by the route tests finds what does not match', () => {
    expect(
      responseMismatches(
        { id: 1, kind: 'deploy', status: 'sleeping', log: [] },
        '/operations/{id}',
        'get',
        200,
      ),
    ).toEqual(
      expect.arrayContaining([
        '$.entityRef: missing',
        '$.status: "sleeping" is not one of queued,running,succeeded,failed,rolled-back',
        '$.id: expected string, got number',
      ]),
    );
    expect(responseMismatches({}, '/nowhere', 'get', 200)).toEqual([
      'get /nowhere is not in openapi.yaml',
    ]);
    // a discriminated union (oneOf): checked against the alternative its status names
    const cost = { $ref: '#/components/schemas/Cost' };
    expect(mismatches({ status: 'no-cluster' }, cost)).toEqual([]);
    expect(mismatches({ status: 'ok', currency: 'USD' }, cost)).toEqual(
      expect.arrayContaining(['$.monthlyUsd: missing', '$.prices: missing']),
    );
    expect(mismatches({ status: 'free' }, cost)).toEqual([
      expect.stringMatching(/^\$: matches none of oneOf/),
    ]);
  });
});
