import { Entity } from '@backstage/catalog-model';
import net from 'net';

/** A local port nothing listens on: free for a server to take, closed for a client. */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>(r => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>(r => srv.close(() => r()));
  return port;
}

/** A production service component in the default namespace with these annotations. */
export function component(
  name: string,
  annotations: Record<string, string>,
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
  };
}
