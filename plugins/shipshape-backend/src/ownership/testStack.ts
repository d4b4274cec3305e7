import fs from 'fs';
import path from 'path';

/** The local stack's generated description (.stack/stack.json); fails, never skips, if missing. */
export function readStack(): {
  kubernetes: {
    url: string;
    caFile: string;
    readerTokenFile: string;
    adminKubeconfig: string;
    kubectl: string;
  };
} {
  // eslint-disable-next-line no-restricted-syntax
  const file = path.resolve(__dirname, '../../../../.stack/stack.json');
  if (!fs.existsSync(file)) {
    throw new Error(
      `${file} is missing: these tests need the local stack's Kubernetes cluster; run ./run stack up`,
    );
  }
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** The stock Kubernetes plugin's cluster config for the stack's cluster, as app-config data. */
export function stackKubernetesConfig() {
  const { kubernetes } = readStack();
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
