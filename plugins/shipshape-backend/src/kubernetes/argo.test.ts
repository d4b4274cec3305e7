import { analysisRunsOf, ArgoRollout } from './argo';

const rollout = { metadata: { uid: 'r-1' } } as ArgoRollout;

function run(name: string, created: string, owner = 'r-1') {
  return {
    metadata: {
      name,
      creationTimestamp: created as any,
      ownerReferences: [{ uid: owner } as any],
    },
    spec: {
      metrics: [
        { name: 'slo-x-availability', failureCondition: 'result[0] > 0.0144' },
        { name: 'slo-x-latency' },
      ],
    },
    // Argo lists results in the order they were first measured
    status: {
      phase: 'Successful',
      metricResults: [
        { name: 'slo-x-latency', phase: 'Successful' },
        {
          name: 'slo-x-availability',
          phase: 'Successful',
          measurements: [{ value: '[0.001]' }],
        },
      ],
    },
  };
}

describe('analysisRunsOf', () => {
  it("lists the Rollout's own runs newest first, each run's metrics in the template's order", () => {
    const runs = analysisRunsOf(
      [
        run('older', '2026-12-07T01:00:00Z'),
        run('newer', '2026-12-07T02:00:00Z'),
        run('another-rollouts', '2026-12-07T03:00:00Z', 'r-2'),
      ],
      rollout,
    );
    expect(runs.map(r => r.name)).toEqual(['newer', 'older']);
    expect(runs[0].metrics).toEqual([
      {
        name: 'slo-x-availability',
        phase: 'Successful',
        value: '[0.001]',
        failureCondition: 'result[0] > 0.0144',
      },
      { name: 'slo-x-latency', phase: 'Successful' },
    ]);
  });
});
