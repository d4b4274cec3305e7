import { ChildProcess, spawn } from 'child_process';
import { REPO } from '@internal/shipshape-test-utils';
import path from 'path';

/**
 * Backend replicas as separate Node processes, for the split-brain tests: each replica script
 * prints one JSON line per thing that happens (`replicaReporter`); the test collects them in
 * order (`events`), waits on them, and prints them as a timeline.
 */
export interface ReplicaEvent {
  at: number;
  runner: string;
  event: string;
  [k: string]: unknown;
}

/** In a replica process: `emit` a JSON line, and a logger and auditor that emit theirs. */
export function replicaReporter(name: string) {
  const emit = (event: string, detail: Record<string, unknown> = {}) =>
    process.stdout.write(
      `${JSON.stringify({ at: Date.now(), runner: name, event, ...detail })}\n`,
    );
  const say = (level: string) => (message: string) =>
    emit('engine-log', { level, message });
  const logger: any = {
    info: say('info'),
    warn: say('warn'),
    error: say('error'),
    debug: () => {},
    child: () => logger,
  };
  const auditor: any = {
    createEvent: async () => ({
      success: async () => {},
      fail: async () => {},
    }),
  };
  return { emit, logger, auditor };
}

/** In the test: starts replicas, collects their events, waits on them, prints the timeline. */
export function replicaHarness() {
  let t0 = 0; // the first replica's start: the timeline's zero
  const events: ReplicaEvent[] = [];
  const children: ChildProcess[] = [];
  let stopping = false;
  const note = (event: string, detail: Record<string, unknown> = {}) =>
    events.push({ at: Date.now(), runner: 'test', event, ...detail });
  const has = (
    runner: string,
    event: string,
    extra: (e: ReplicaEvent) => boolean = () => true,
  ) => events.find(e => e.runner === runner && e.event === event && extra(e));
  const waitFor = async (what: string, check: () => unknown, ms = 60_000) => {
    const until = Date.now() + ms;
    while (!(await check())) {
      if (
        Date.now() > until ||
        events.some(e => e.event === 'crashed' || e.event === 'exited')
      ) {
        throw new Error(
          `timed out waiting for ${what}; events: ${JSON.stringify(events)}`,
        );
      }
      await new Promise(r => setTimeout(r, 25));
    }
  };
  /** Runs `script` (TypeScript) as replica `name` with `env` added to this process's. */
  const start = (script: string, name: string, env: Record<string, string>) => {
    t0 ||= Date.now();
    const child = spawn(
      process.execPath,
      [
        '--require',
        path.join(
          REPO,
          'node_modules/@backstage/cli-node/config/nodeTransform.cjs',
        ),
        script,
      ],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    // a replica ends only when the test stops it: an exit before is a failure (waitFor)
    child.on('exit', (code, signal) => {
      if (!stopping) {
        events.push({
          at: Date.now(),
          runner: name,
          event: 'exited',
          code,
          signal,
        });
      }
    });
    let buffer = '';
    child.stdout!.on('data', chunk => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        try {
          events.push(JSON.parse(line));
        } catch {
          events.push({ at: Date.now(), runner: name, event: 'stdout', line });
        }
      }
    });
    child.stderr!.on('data', chunk =>
      events.push({
        at: Date.now(),
        runner: name,
        event: 'stderr',
        line: String(chunk).trim(),
      }),
    );
    return child;
  };
  /** The events (those `keep` selects) in time order, one line each, from the harness's start. */
  const timeline = (keep: (e: ReplicaEvent) => boolean = () => true) =>
    events
      .filter(keep)
      .sort((x, y) => x.at - y.at)
      .map(
        ({ at, runner, event, ...rest }) =>
          `${String(at - t0).padStart(6)} ms  ${runner.padEnd(
            9,
          )}  ${event} ${JSON.stringify(rest)}`,
      );
  /** Resumes and ends every replica started. */
  const stopAll = () => {
    stopping = true;
    for (const c of children) {
      c.kill('SIGCONT');
      c.kill('SIGTERM');
    }
  };
  return { events, note, has, waitFor, start, timeline, stopAll };
}
