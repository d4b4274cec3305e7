import { startTestBackend } from '@backstage/backend-test-utils';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { scaffolderModuleShipshape } from './module';

describe('scaffolder module shipshape', () => {
  it('registers the Shipshape actions', async () => {
    const ids: string[] = [];
    await startTestBackend({
      extensionPoints: [
        [
          scaffolderActionsExtensionPoint,
          {
            addActions: (...actions: { id: string }[]) =>
              ids.push(...actions.map(a => a.id)),
          },
        ],
      ],
      features: [scaffolderModuleShipshape],
    });
    expect(ids).toEqual([
      'shipshape:service:check',
      'shipshape:catalog:annotations',
      'shipshape:slo:rules',
      'shipshape:deploy',
      'shipshape:rollback',
      'shipshape:rollout:promote',
      'shipshape:rollout:abort',
      'shipshape:rollout:retry',
      'shipshape:backup:create',
      'shipshape:backup:restore-drill',
      'shipshape:publish:local',
    ]);
  });
});
