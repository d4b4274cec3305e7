import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerService,
  SchedulerServiceTaskFunction,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';

/**
 * Runs `fn` on the plugin's scheduler as a global task (one replica runs each pass), on the
 * schedule at `configKey` (frequency, timeout, initialDelay) or else `defaults`.
 */
export async function scheduleFromConfig(options: {
  scheduler: SchedulerService;
  config: Config;
  id: string;
  configKey: string;
  defaults: SchedulerServiceTaskScheduleDefinition;
  fn: SchedulerServiceTaskFunction;
}): Promise<void> {
  const configured = options.config.getOptionalConfig(options.configKey);
  await options.scheduler.scheduleTask({
    id: options.id,
    ...(configured
      ? readSchedulerServiceTaskScheduleDefinitionFromConfig(configured)
      : options.defaults),
    scope: 'global',
    fn: options.fn,
  });
}
