import fs from 'node:fs';
import path from 'node:path';
import { ConfigReader } from '@backstage/config';
import { parseAllDocuments } from 'yaml';
import { REPO } from '@internal/shipshape-test-utils';
import { KubernetesClusters } from './clusters';
import { workloadWatchTargets } from './watch';

/** The verbs reader.yaml's ClusterRole grants on `group/resource`. */
function grantedVerbs(file: string): Map<string, Set<string>> {
  const granted = new Map<string, Set<string>>();
  for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
    const object = doc.toJS();
    if (object?.kind !== 'ClusterRole') continue;
    for (const rule of object.rules ?? []) {
      for (const group of rule.apiGroups) {
        for (const resource of rule.resources) {
          const key = `${group}/${resource}`;
          const verbs = granted.get(key) ?? new Set<string>();
          rule.verbs.forEach((v: string) => verbs.add(v));
          granted.set(key, verbs);
        }
      }
    }
  }
  return granted;
}

/** `/apis/apps/v1/deployments` → `apps/deployments`; `/api/v1/pods` → `/pods`. */
function groupResourceOf(apiPath: string): string {
  const parts = apiPath.split('/').filter(Boolean);
  const resource = parts[parts.length - 1];
  return parts[0] === 'api' ? `/${resource}` : `${parts[1]}/${resource}`;
}

describe('the read identity’s RBAC (deploy/rbac/reader.yaml)', () => {
  it('lets the read token list and watch everything the cluster watches follow', () => {
    const clusters = KubernetesClusters.fromConfig(
      new ConfigReader({
        kubernetes: {
          clusterLocatorMethods: [
            {
              type: 'config',
              clusters: [
                {
                  name: 'local',
                  url: 'https://127.0.0.1:1',
                  authProvider: 'serviceAccount',
                  serviceAccountToken: 'not-used',
                },
              ],
            },
          ],
        },
        shipshape: {
          environments: [
            { name: 'staging', cluster: 'local', namespacePerService: true },
          ],
        },
      }),
    );
    const { targets } = workloadWatchTargets(clusters);
    expect(targets.map(t => t.resource).sort()).toEqual([
      'analysisruns',
      'deployments',
      'pods',
      'replicasets',
      'rollouts',
    ]);
    const granted = grantedVerbs(path.join(REPO, 'deploy/rbac/reader.yaml'));
    const missing = targets.flatMap(t => {
      const key = groupResourceOf(t.path);
      const verbs = granted.get(key);
      return ['list', 'watch']
        .filter(v => !verbs?.has(v))
        .map(v => `${v} ${key} (${t.what})`);
    });
    expect(missing).toEqual([]);
  });
});
