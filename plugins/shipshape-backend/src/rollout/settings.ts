import { RootConfigService } from '@backstage/backend-plugin-api';
import { RolloutTimings } from './plan';

/** Reads `shipshape.rollout.*` timings (seconds in config). */
export function rolloutTimings(config: RootConfigService): RolloutTimings & {
  statusTimeoutMs: number;
} {
  const c = config.getOptionalConfig('shipshape.rollout');
  return {
    stallAfterMs: (c?.getOptionalNumber('stallAfterSeconds') ?? 120) * 1000,
    timeoutMs: (c?.getOptionalNumber('timeoutSeconds') ?? 900) * 1000,
    statusTimeoutMs: (c?.getOptionalNumber('statusTimeoutSeconds') ?? 5) * 1000,
    helmBinary: c?.getOptionalString('helmBinary'),
  };
}
