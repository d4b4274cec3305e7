import fs from 'fs';
import { readLocalStack } from '../testUtils/stack';

/** The local stack's description; fails, never skips, when the stack is not up. */
export { readLocalStack as readStack };

/** The stock Kubernetes plugin's cluster config for the stack's cluster, as app-config data. */
export function stackKubernetesConfig() {
  const { kubernetes } = readLocalStack();
  return {
    clusterLocatorMethods: [
      {
        type: 'config',
        clusters: [
          {
            name: 'local',
            url: kubernetes.url,
            authProvider: 'serviceAccount',
            caFile: kubernetes.caFile,
            serviceAccountToken: fs
              .readFileSync(kubernetes.readerTokenFile, 'utf8')
              .trim(),
          },
        ],
      },
    ],
  };
}
