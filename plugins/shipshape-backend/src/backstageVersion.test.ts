import { createBackendPlugin } from '@backstage/backend-plugin-api';
import { startTestBackend } from '@backstage/backend-test-utils';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  assertSupportedBackstage,
  backendDefaultsVersion,
  unsupportedBackstage,
} from './backstageVersion';

/** A portal folder whose node_modules holds @backstage/backend-defaults at `version`. */
function portalWith(version: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-portal-'));
  const pkg = path.join(dir, 'node_modules', '@backstage', 'backend-defaults');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(
    path.join(pkg, 'package.json'),
    JSON.stringify({ name: '@backstage/backend-defaults', version }),
  );
  return dir;
}

describe('the supported Backstage release', () => {
  const dirs: string[] = [];
  afterAll(() =>
    dirs.forEach(d => fs.rmSync(d, { recursive: true, force: true })),
  );

  it('accepts the backend-defaults of Backstage 1.55 and the newer ones a fresh 1.55 portal resolves', () => {
    // this repository is a 1.55 portal
    expect(backendDefaultsVersion()).toMatch(/^0\.(18|19)\./);
    expect(() => assertSupportedBackstage()).not.toThrow();
    for (const v of ['0.18.0', '0.19.2', '1.0.0']) {
      expect(unsupportedBackstage(v)).toBeUndefined();
    }
    // a version it cannot read is not a reason to stop
    expect(unsupportedBackstage(undefined)).toBeUndefined();
    expect(unsupportedBackstage('next')).toBeUndefined();
  });

  it('stops a portal on an older Backstage at start, naming its version and how to upgrade', async () => {
    const portal = portalWith('0.15.2');
    dirs.push(portal);
    expect(backendDefaultsVersion([portal])).toBe('0.15.2');
    const message =
      'Shipshape supports Backstage 1.55 (@backstage/backend-defaults 0.18 or later); this backend runs @backstage/backend-defaults 0.15.2, an older Backstage release. Upgrade the portal first (yarn backstage-cli versions:bump --release 1.55), then add Shipshape';
    expect(() => assertSupportedBackstage([portal])).toThrow(message);

    // as the plugin calls it: in register, so the backend fails at start with that line
    // before any plugin's init runs
    const init = jest.fn();
    const plugin = createBackendPlugin({
      pluginId: 'versioned',
      register(env) {
        assertSupportedBackstage([portal]);
        env.registerInit({ deps: {}, init });
      },
    });
    await expect(startTestBackend({ features: [plugin] })).rejects.toThrow(
      message,
    );
    expect(init).not.toHaveBeenCalled();
  });
});
