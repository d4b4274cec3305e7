import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerService,
  SchedulerServiceTaskFunction,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';

/**
 * The schedule (frequency, timeout, initialDelay) at `configKey`, or else `defaults`; a bad
 * value throws, naming it. plugin.ts reads each task's schedule with it, once.
 */
export function readSchedule(
  config: Config,
  configKey: string,
  defaults: SchedulerServiceTaskScheduleDefinition,
): SchedulerServiceTaskScheduleDefinition {
  const configured = config.getOptionalConfig(configKey);
  return configured
    ? readSchedulerServiceTaskScheduleDefinitionFromConfig(configured)
    : defaults;
}

/** Runs `fn` on the plugin's scheduler as a global task (one replica runs each pass). */
export async function scheduleGlobalTask(options: {
  scheduler: SchedulerService;
  id: string;
  schedule: SchedulerServiceTaskScheduleDefinition;
  fn: SchedulerServiceTaskFunction;
}): Promise<void> {
  await options.scheduler.scheduleTask({
    id: options.id,
    ...options.schedule,
    scope: 'global',
    fn: options.fn,
  });
}
