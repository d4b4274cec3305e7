import { SignalApi, signalApiRef } from '@backstage/plugin-signals-react';
import {
  ShipshapeSignal,
  shipshapeEntityChannel,
} from '@shipshape/plugin-shipshape-common';
import { act, screen } from '@testing-library/react';
import healthy from './rollout/__fixtures__/healthy.json';
import stalled from './rollout/__fixtures__/stalled.json';
import { renderWithBackend } from '../__testUtils__/render';
import { DrReadinessCard } from './dr/DrReadinessCard';
import { RolloutStatusCard } from './rollout/RolloutStatusCard';
import { BackupAgeCard } from './dr/BackupAgeChart';
import { ActivityContent } from './activity/ActivityContent';
import { OwnershipCard } from './ownership/OwnershipCard';
import { FALLBACK_POLL_MS, SOCKET_CHECK_MS } from './useEntitySignal';

/** The app's signals API as the signals plugin's client is seen by a card: by channel. */
function fakeSignals() {
  const subscribers = new Map<string, Set<(m: any) => void>>();
  const api: SignalApi = {
    subscribe(channel, onMessage) {
      if (!subscribers.has(channel)) subscribers.set(channel, new Set());
      subscribers.get(channel)!.add(onMessage);
      return { unsubscribe: () => subscribers.get(channel)!.delete(onMessage) };
    },
  };
  const send = async (entityRef: string, message: ShipshapeSignal) =>
    act(async () => {
      subscribers
        .get(shipshapeEntityChannel(entityRef))
        ?.forEach(s => s(message));
    });
  const channels = () =>
    [...subscribers].filter(([, s]) => s.size > 0).map(([c]) => c);
  return { api, send, channels };
}

/**
 * The signals plugin's client as it is at run time: its websocket in the field `ws` (null while
 * it reconnects); `readyState` 1 is open, 3 closed.
 */
function socketSignals(readyState: number | null) {
  const fake = fakeSignals();
  const api = Object.assign(fake.api, {
    ws: readyState === null ? null : { readyState },
  });
  const setSocket = (state: number | null) => {
    api.ws = state === null ? null : { readyState: state };
  };
  return { ...fake, api, setSocket };
}

const entity = (name: string, annotations: Record<string, string>) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default', annotations },
  spec: {
    type: 'service',
    owner: 'group:default/team',
    lifecycle: 'production',
  },
});

const json = (body: unknown) =>
  Promise.resolve(new Response(JSON.stringify(body), { status: 200 }));

describe('cards on signals', () => {
  afterEach(() => jest.useRealTimers());

  it('rollout card: a deploy signal refreshes at once; polling slows to 60 s; other kinds are ignored', async () => {
    jest.useFakeTimers();
    const signals = fakeSignals();
    const fetch = jest.fn((_url: string) => json(healthy));
    renderWithBackend(
      <RolloutStatusCard refreshIntervalMs={1000} />,
      entity('Payments-Api', { 'backstage.io/kubernetes-id': 'payments-api' }),
      fetch,
      false,
      [[signalApiRef, signals.api]],
    );
    await screen.findByRole('region', { name: 'environment staging' });
    // one channel per entity, the ref in lower case
    expect(signals.channels()).toEqual([
      'shipshape:entity:component:default/payments-api',
    ]);
    const rolloutCalls = () =>
      fetch.mock.calls.filter(([u]) => String(u).endsWith('/rollout')).length;
    const first = rolloutCalls();
    // The 1 s poll is not used while signals push changes: 59 s pass without a read.
    await act(async () => {
      jest.advanceTimersByTime(59_000);
    });
    expect(rolloutCalls()).toBe(first);

    await signals.send('component:default/payments-api', {
      kind: 'rollout',
      id: 'op-1',
      status: 'running',
      step: 'rolling-out',
    });
    expect(rolloutCalls()).toBe(first + 1);
    await signals.send('component:default/payments-api', { kind: 'backup' });
    await signals.send('component:default/orders-api', { kind: 'rollout' });
    expect(rolloutCalls()).toBe(first + 1);
    // the slow fallback poll still runs
    await act(async () => {
      jest.advanceTimersByTime(60_000);
    });
    expect(rolloutCalls()).toBe(first + 2);
  });

  it('rollout card: with live signals a workload that is not complete does not bring back the fast poll', async () => {
    jest.useFakeTimers();
    const signals = fakeSignals();
    const fetch = jest.fn((_url: string) => json(stalled));
    renderWithBackend(
      <RolloutStatusCard refreshIntervalMs={1000} />,
      entity('moving-api', { 'backstage.io/kubernetes-id': 'payments-api' }),
      fetch,
      false,
      [[signalApiRef, signals.api]],
    );
    await screen.findByRole('region', { name: 'environment test' });
    expect(screen.getByTestId('rollout-freshness')).toHaveTextContent(
      / · live$/,
    );
    const first = fetch.mock.calls.length;
    // the backend's watches signal the rollout's progress: no read until the 60 s fallback
    await act(async () => {
      jest.advanceTimersByTime(59_000);
    });
    expect(fetch.mock.calls.length).toBe(first);
    await act(async () => {
      jest.advanceTimersByTime(1000);
    });
    expect(fetch.mock.calls.length).toBe(first + 1);
  });

  it('rollout card: a dropped signals socket falls back to polling and says so; open again, live', async () => {
    jest.useFakeTimers();
    const signals = socketSignals(1);
    const fetch = jest.fn((_url: string) => json(healthy));
    renderWithBackend(
      <RolloutStatusCard refreshIntervalMs={1000} />,
      entity('dropped-api', { 'backstage.io/kubernetes-id': 'payments-api' }),
      fetch,
      false,
      [[signalApiRef, signals.api]],
    );
    await screen.findByRole('region', { name: 'environment staging' });
    const freshness = screen.getByTestId('rollout-freshness');
    expect(freshness).toHaveTextContent(/ · live$/);
    const reads = () => fetch.mock.calls.length;
    const first = reads();
    await act(async () => {
      jest.advanceTimersByTime(10_000);
    });
    expect(reads()).toBe(first);

    // the socket closes (the backend restarts); the client will reconnect in 5 s
    signals.setSocket(3);
    await act(async () => {
      jest.advanceTimersByTime(SOCKET_CHECK_MS);
    });
    expect(freshness).toHaveTextContent(/ · polling every 1 s$/);
    const dropped = reads();
    for (let i = 0; i < 3; i++) {
      await act(async () => {
        jest.advanceTimersByTime(1000);
      });
    }
    expect(reads()).toBe(dropped + 3);

    // reconnecting (no socket) is not live either; open again is
    signals.setSocket(null);
    await act(async () => {
      jest.advanceTimersByTime(SOCKET_CHECK_MS);
    });
    expect(freshness).toHaveTextContent(/ · polling every 1 s$/);
    signals.setSocket(1);
    await act(async () => {
      jest.advanceTimersByTime(SOCKET_CHECK_MS);
    });
    expect(freshness).toHaveTextContent(/ · live$/);
    const back = reads();
    await act(async () => {
      jest.advanceTimersByTime(10_000);
    });
    expect(reads()).toBe(back);
  });

  it('rollout and DR cards: the socket open, first or again, re-reads at once, not at the next poll', async () => {
    jest.useFakeTimers();
    const signals = socketSignals(null); // the page loads before the socket opens
    const fetch = jest.fn((url: string) => {
      if (url.endsWith('/dr-readiness')) {
        return json({
          entityRef: 'component:default/reconnect-api',
          environment: 'production',
          status: 'warn',
          checks: [],
          gradedAt: '2026-12-06T10:00:00.000Z',
          changes: [],
        });
      }
      if (url.endsWith('/backups')) {
        return json({ target: 'orders-db', storage: 'local', items: [] });
      }
      return json(healthy);
    });
    renderWithBackend(
      <>
        <RolloutStatusCard refreshIntervalMs={10_000} />
        <DrReadinessCard />
      </>,
      entity('reconnect-api', {
        'backstage.io/kubernetes-id': 'payments-api',
        'shipshape.dev/backup-target': 'orders-db',
      }),
      fetch,
      false,
      [[signalApiRef, signals.api]],
    );
    await screen.findByRole('region', { name: 'environment staging' });
    expect(await screen.findByText('WARN')).toBeInTheDocument();
    const rollout = () =>
      fetch.mock.calls.filter(([u]) => u.endsWith('/rollout')).length;
    const readiness = () =>
      fetch.mock.calls.filter(([u]) => u.endsWith('/dr-readiness')).length;
    const check = async () =>
      act(async () => {
        jest.advanceTimersByTime(SOCKET_CHECK_MS);
      });
    // the first opening, after the cards' first read: a signal sent before it was lost, so
    // both re-read once
    const [rMount, dMount] = [rollout(), readiness()];
    signals.setSocket(1);
    await check();
    const freshness = screen.getByTestId('rollout-freshness');
    expect(freshness).toHaveTextContent(/ · live$/);
    expect([rollout(), readiness()]).toEqual([rMount + 1, dMount + 1]);
    const [r0, d0] = [rollout(), readiness()];
    // dropped, then reconnecting: polls every 10 s
    signals.setSocket(3);
    await check();
    signals.setSocket(null);
    await check();
    expect(freshness).toHaveTextContent(/ · polling every 10 s$/);
    expect([rollout(), readiness()]).toEqual([r0, d0]);
    // open again: both cards re-read at the check that sees it, 4 s after the drop
    signals.setSocket(1);
    await check();
    expect(freshness).toHaveTextContent(/ · live$/);
    expect([rollout(), readiness()]).toEqual([r0 + 1, d0 + 1]);
    // and once: the next checks while open re-read nothing
    await check();
    await check();
    expect([rollout(), readiness()]).toEqual([r0 + 1, d0 + 1]);
  });

  it('rollout card without the signals plugin: polls at its own interval', async () => {
    jest.useFakeTimers();
    const fetch = jest.fn(() => json(healthy));
    renderWithBackend(
      <RolloutStatusCard refreshIntervalMs={1000} />,
      entity('unsignalled-api', {
        'backstage.io/kubernetes-id': 'payments-api',
      }),
      fetch,
    );
    await screen.findByRole('region', { name: 'environment staging' });
    expect(screen.getByTestId('rollout-freshness')).toHaveTextContent(
      /^updated .+ · polling every 1 s$/,
    );
    const first = fetch.mock.calls.length;
    for (let i = 0; i < 3; i++) {
      await act(async () => {
        jest.advanceTimersByTime(1000);
      });
    }
    expect(fetch.mock.calls.length).toBe(first + 3);
  });

  it('DR card: a backup, drill or grade signal re-reads readiness and history; a rollout one does not', async () => {
    const signals = fakeSignals();
    const fetch = jest.fn((url: string) =>
      url.endsWith('/dr-readiness')
        ? json({
            entityRef: 'component:default/orders-api',
            environment: 'production',
            status: 'warn',
            checks: [],
            gradedAt: '2026-12-06T10:00:00.000Z',
            changes: [],
          })
        : json({ target: 'orders-db', storage: 'local', items: [] }),
    );
    renderWithBackend(
      <DrReadinessCard />,
      entity('orders-api', { 'shipshape.dev/backup-target': 'orders-db' }),
      fetch,
      false,
      [[signalApiRef, signals.api]],
    );
    expect(await screen.findByText('WARN')).toBeInTheDocument();
    const reads = () =>
      fetch.mock.calls.filter(([u]) => u.endsWith('/dr-readiness')).length;
    expect(reads()).toBe(1);
    await signals.send('component:default/orders-api', { kind: 'rollout' });
    expect(reads()).toBe(1);
    for (const kind of ['backup', 'drill', 'grade'] as const) {
      await signals.send('component:default/orders-api', {
        kind,
        id: 'b1',
        status: 'succeeded',
      });
    }
    expect(reads()).toBe(4);
    expect(
      fetch.mock.calls.filter(([u]) => u.endsWith('/backups')).length,
    ).toBe(4);
  });

  // The other cards on signals: each reads one path; Ownership's read fails here (its card shows
  // the error), which is still a read.
  const others = [
    {
      name: 'DR readiness card',
      element: <DrReadinessCard />,
      path: '/dr-readiness',
      testId: 'dr-freshness',
    },
    {
      name: 'backup-age chart',
      element: <BackupAgeCard />,
      path: '/backup-age',
      testId: 'backup-age-freshness',
    },
    {
      name: 'Activity view',
      element: <ActivityContent />,
      path: '/operations',
      testId: 'activity-freshness',
    },
    {
      name: 'Ownership card',
      element: <OwnershipCard />,
      path: '/ownership',
      testId: 'ownership-freshness',
    },
  ];
  const otherAnswers = (url: string) => {
    const path = url.split('?')[0];
    if (path.endsWith('/dr-readiness')) {
      return json({
        entityRef: 'component:default/polled-api',
        environment: 'production',
        status: 'warn',
        checks: [],
        gradedAt: '2026-12-06T10:00:00.000Z',
        changes: [],
      });
    }
    if (path.endsWith('/backups')) {
      return json({ target: 'orders-db', storage: 'local', items: [] });
    }
    if (path.endsWith('/backup-age')) {
      return json({
        target: 'orders-db',
        from: '2026-11-29T10:00:00.000Z',
        to: '2026-12-06T10:00:00.000Z',
        verified: 0,
        failed: 0,
        points: [],
      });
    }
    if (path.endsWith('/operations')) {
      return json({ items: [], total: 0, limit: 20, offset: 0 });
    }
    return Promise.resolve(
      new Response(
        JSON.stringify({
          error: { name: 'ServiceUnavailableError', message: 'down' },
        }),
        { status: 503 },
      ),
    );
  };
  const pollEntity = entity('polled-api', {
    'backstage.io/kubernetes-id': 'payments-api',
    'shipshape.dev/backup-target': 'orders-db',
  });

  it.each(others)(
    '$name without the signals plugin: re-reads every 30 s and says so',
    async ({ element, path, testId }) => {
      jest.useFakeTimers();
      const fetch = jest.fn(otherAnswers);
      renderWithBackend(element, pollEntity, fetch);
      const freshness = await screen.findByTestId(testId);
      expect(freshness).toHaveTextContent(/^polling every 30 s$/);
      const reads = () =>
        fetch.mock.calls.filter(([u]) => u.split('?')[0].endsWith(path)).length;
      await act(async () => {
        jest.advanceTimersByTime(1000);
      });
      const first = reads();
      expect(first).toBeGreaterThan(0);
      for (let i = 1; i <= 3; i++) {
        await act(async () => {
          jest.advanceTimersByTime(FALLBACK_POLL_MS);
        });
        expect(reads()).toBe(first + i);
      }
    },
  );

  it.each(others)(
    '$name with signals live: says live, only the 60 s safety poll; socket down, polls every 30 s',
    async ({ element, path, testId }) => {
      jest.useFakeTimers();
      const signals = socketSignals(1);
      const fetch = jest.fn(otherAnswers);
      renderWithBackend(element, pollEntity, fetch, false, [
        [signalApiRef, signals.api],
      ]);
      const freshness = await screen.findByTestId(testId);
      expect(freshness).toHaveTextContent(/^live$/);
      const reads = () =>
        fetch.mock.calls.filter(([u]) => u.split('?')[0].endsWith(path)).length;
      await act(async () => {
        jest.advanceTimersByTime(1000);
      });
      const first = reads();
      await act(async () => {
        jest.advanceTimersByTime(58_000);
      });
      expect(reads()).toBe(first);
      await act(async () => {
        jest.advanceTimersByTime(1000);
      });
      expect(reads()).toBe(first + 1);
      // the socket drops: polling every 30 s, and said
      signals.setSocket(3);
      await act(async () => {
        jest.advanceTimersByTime(SOCKET_CHECK_MS);
      });
      expect(freshness).toHaveTextContent(/^polling every 30 s$/);
      const dropped = reads();
      await act(async () => {
        jest.advanceTimersByTime(FALLBACK_POLL_MS);
      });
      expect(reads()).toBe(dropped + 1);
    },
  );
});
