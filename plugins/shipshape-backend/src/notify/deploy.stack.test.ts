import {
  createServiceNamespace,
  kubectl,
  testConfig,
  testDeployment,
} from '@internal/shipshape-test-utils';
import { componentWith } from '../rollout/__testUtils__/api';
import { startNotifyBackend } from './__testUtils__/backend';

jest.setTimeout(180_000);

// A deploy that stalls in the stack's cluster is rolled back by the engine; the owning group
// hears of it through the real notifications backend, and of the next good deploy in the same
// notification.
const NS = `shipshape-notify-${process.pid}`;
const REPO = 'registry.example.test/shipshape/notify-demo';

const entities = [
  componentWith('notify-app', { 'backstage.io/kubernetes-id': 'notify-app' }),
];

describe('notifications of deploys (real notifications backend, stack cluster)', () => {
  let backend: Awaited<ReturnType<typeof startNotifyBackend>>;

  beforeAll(async () => {
    createServiceNamespace(NS);
    kubectl(
      ['apply', '-f', '-'],
      testDeployment({
        name: 'notify-app',
        namespace: NS,
        kubernetesId: 'notify-app',
        image: `${REPO}:1.0.0`,
      }),
    );
    kubectl([
      '-n',
      NS,
      'rollout',
      'status',
      'deploy/notify-app',
      '--timeout=60s',
    ]);
    backend = await startNotifyBackend({
      entities,
      config: testConfig([{ name: 'test', namespace: NS }]),
    });
  });

  afterAll(() => {
    kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  const deploy = async (image: string) =>
    (
      await backend.operation('/entities/component/default/notify-app/deploy', {
        environment: 'test',
        image,
        reason: 'notification test',
      })
    ).status;
  const inbox = (title: string) =>
    backend.inbox(list => list.some(n => n.payload.title === title), 10);

  it('tells the owning group of an automatic rollback, then of the next good deploy, in one notification', async () => {
    expect(await deploy(`${REPO}:2.0.0-bad`)).toBe('rolled-back');
    const rolledBack =
      'Deploy of notify-app in test was rolled back automatically';
    let list = await inbox(rolledBack);
    expect(list).toHaveLength(1);
    expect(list[0].payload).toMatchObject({
      title: rolledBack,
      link: '/catalog/default/component/notify-app',
      severity: 'high',
      topic: 'shipshape-deploy',
    });
    expect(list[0].payload.description).toMatch(/ProgressDeadlineExceeded/);
    expect(list[0].payload.description).toMatch(/rolled back to revision/);
    const scope = list[0].payload.scope;
    expect(scope).toMatch(/^shipshape:deploy:component:default\/notify-app:/);

    expect(await deploy(`${REPO}:1.1.0`)).toBe('succeeded');
    const again = 'Deploy of notify-app in test succeeded again';
    list = await inbox(again);
    expect(list).toHaveLength(1);
    expect(list[0].payload).toMatchObject({
      title: again,
      severity: 'normal',
      scope,
    });
    expect(list[0].payload.description).toMatch(/^Recovered: /);
  });
});
