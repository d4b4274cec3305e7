// A stand-in for the catalog service, for the template runner (run-scaffolder.mjs):
// the example entities the portal loads (examples/entities.yaml, examples/org.yaml), answering
// the two reads shipshape:service:check makes. The real catalog's answer to the same reads is
// tested in plugins/scaffolder-backend-module-shipshape/src/actions/serviceCheck.catalog.test.ts.
// Also the policy the server would apply: app-config.yaml shipshape.policy.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

export function exampleCatalog(repo) {
  const yaml = createRequire(path.join(repo, 'package.json'))('yaml');
  const entities = ['entities.yaml', 'org.yaml'].flatMap(f =>
    yaml
      .parseAllDocuments(fs.readFileSync(path.join(repo, 'examples', f), 'utf8'))
      .map(d => d.toJS())
      .filter(Boolean),
  );
  const ref = e => `${e.kind}:${e.metadata.namespace ?? 'default'}/${e.metadata.name}`.toLowerCase();
  return {
    async getEntities({ filter }) {
      const kinds = [filter.kind].flat().map(k => k.toLowerCase());
      return {
        items: entities.filter(
          e => kinds.includes(e.kind.toLowerCase()) && e.metadata.name === filter['metadata.name'],
        ),
      };
    },
    async getEntityByRef(entityRef) {
      return entities.find(e => ref(e) === String(entityRef).toLowerCase());
    },
  };
}

export function appConfigPolicyInput(repo) {
  const yaml = createRequire(path.join(repo, 'package.json'))('yaml');
  return yaml.parse(fs.readFileSync(path.join(repo, 'app-config.yaml'), 'utf8')).shipshape?.policy;
}
