import { RootConfigService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import os from 'os';

/** `shipshape.operations`: this replica's name and the heartbeat that proves it alive. */
export function operationsSettings(config: RootConfigService) {
  const c = config.getOptionalConfig('shipshape.operations');
  const seconds = (key: string, fallback: number) => {
    const v = c?.getOptionalNumber(key) ?? fallback;
    if (!(v > 0)) {
      throw new InputError(
        `shipshape.operations.${key} is ${v}; expected a positive number of seconds`,
      );
    }
    return v * 1000;
  };
  return {
    // Stable across restarts (a pod's name), so a restarted replica takes back its runs at once.
    instanceId: c?.getOptionalString('instanceName') ?? os.hostname(),
    heartbeatMs: seconds('heartbeatSeconds', 5),
    staleAfterMs: seconds('staleAfterSeconds', 60),
  };
}
