import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { readSchedule, scheduleGlobalTask } from './schedule';

describe('readSchedule and scheduleGlobalTask', () => {
  const defaults = { frequency: { hours: 1 }, timeout: { minutes: 10 } };
  const schedule = async (config: object) => {
    const scheduler = mockServices.scheduler.mock();
    const fn = jest.fn();
    await scheduleGlobalTask({
      scheduler,
      id: 'task',
      schedule: readSchedule(
        new ConfigReader(config),
        'shipshape.x.schedule',
        defaults,
      ),
      fn,
    });
    const [[task]] = scheduler.scheduleTask.mock.calls;
    expect(task.fn).toBe(fn);
    return task;
  };

  it('schedules a global task on the configured schedule, else the defaults', async () => {
    expect(await schedule({})).toMatchObject({
      id: 'task',
      scope: 'global',
      ...defaults,
    });
    const configured = await schedule({
      shipshape: {
        x: { schedule: { frequency: { minutes: 5 }, timeout: 'PT2M' } },
      },
    });
    expect(configured).toMatchObject({
      id: 'task',
      scope: 'global',
      frequency: { minutes: 5 },
    });
    expect(configured.timeout).not.toEqual(defaults.timeout);
  });

  it('names a bad configured schedule', async () => {
    await expect(
      schedule({ shipshape: { x: { schedule: { frequency: 'often' } } } }),
    ).rejects.toThrow(/frequency|often/);
  });
});
