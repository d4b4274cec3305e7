// Prometheus history and live series of the local stack for the SLO tests: synthetic services
// backfilled into the stack's Prometheus with promtool, and the steerable exporter's live series.
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { readLocalStack } from './stack';

/** A piecewise-constant error ratio: from `from` (unix s) on, `ratio` of `rps` requests fail. */
export interface Phase {
  from: number;
  ratio: number;
}

export interface SyntheticService {
  service: string;
  rps: number;
  phases: Phase[];
}

export const DAY = 86400;

/**
 * The three services of one test run (names `<prefix>-h|s|f-<run>`) and the phases of their
 * error ratio over the 29 days up to T0 (now, to the minute), against a 99.9% objective:
 * healthy at 0.2x the budget, slow 4x for the last 2 days, fast 20x for the last 3 hours.
 */
export function burnScenario(prefix: string) {
  const run = Date.now().toString(36);
  const HEALTHY = `${prefix}-h-${run}`;
  const SLOW = `${prefix}-s-${run}`;
  const FAST = `${prefix}-f-${run}`;
  const T0 = Math.floor(Date.now() / 1000 / 60) * 60;
  const start = T0 - 29 * DAY;
  const plan: Record<string, Phase[]> = {
    [HEALTHY]: [{ from: start, ratio: 0.0002 }],
    [SLOW]: [
      { from: start, ratio: 0.0005 },
      { from: T0 - 2 * DAY, ratio: 0.004 },
    ],
    [FAST]: [
      { from: start, ratio: 0.0008 },
      { from: T0 - 3 * 3600, ratio: 0.02 },
    ],
  };
  return { HEALTHY, SLOW, FAST, T0, start, plan };
}

/**
 * Writes OpenMetrics history for `http_requests_total{service,code}` (codes 200 and 500)
 * with the exporter's job/instance labels, from `start` to `end` (unix s) every `step`
 * seconds (60 s in the last 4 days, 300 s before), and turns it into blocks in a Prometheus
 * data directory with `promtool tsdb create-blocks-from openmetrics`. A running Prometheus
 * picks the blocks up at its next block reload (about a minute).
 */
export function backfill(
  dataDir: string,
  services: SyntheticService[],
  start: number,
  end: number,
): void {
  const lines: string[] = ['# TYPE http_requests counter'];
  // the same job/instance labels as the live scrape of the stack's exporter
  const instance = new URL(readLocalStack().exporter.url).host;
  const job = `job="shipshape-exporter",instance="${instance}"`;
  for (const s of services) {
    const times: number[] = [];
    for (let t = start; t <= end; ) {
      times.push(t);
      t += end - t > 4 * 86400 ? 300 : 60;
    }
    let good = 0;
    let bad = 0;
    let prev = times[0];
    const rows: [number, number, number][] = [];
    for (const t of times) {
      // integrate the ratio in force over (prev, t]
      const phase =
        [...s.phases].reverse().find(p => p.from < t) ?? s.phases[0];
      const n = s.rps * (t - prev);
      bad += n * phase.ratio;
      good += n * (1 - phase.ratio);
      prev = t;
      rows.push([t, good, bad]);
    }
    for (const [t, g] of rows) {
      lines.push(
        `http_requests_total{${job},service="${
          s.service
        }",code="200"} ${g.toFixed(4)} ${t}`,
      );
    }
    for (const [t, , b] of rows) {
      lines.push(
        `http_requests_total{${job},service="${
          s.service
        }",code="500"} ${b.toFixed(4)} ${t}`,
      );
    }
  }
  lines.push('# EOF');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slo-backfill-'));
  const om = path.join(dir, 'history.om');
  fs.writeFileSync(om, `${lines.join('\n')}\n`);
  execFileSync(
    'promtool',
    [
      'tsdb',
      'create-blocks-from',
      'openmetrics',
      '--max-block-duration=720h',
      om,
      dataDir,
    ],
    { stdio: 'pipe' },
  );
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Average error ratio over [t - w, t] of a service whose history is piecewise constant. */
export function expectedRatio(
  intervals: { from: number; to: number; ratio: number }[],
  t: number,
  w: number,
): number {
  let errors = 0;
  let total = 0;
  for (const i of intervals) {
    const a = Math.max(i.from, t - w);
    const b = Math.min(i.to, t);
    if (b > a) {
      errors += (b - a) * i.ratio;
      total += b - a;
    }
  }
  return errors / total;
}

/** Sets (or with `remove: true` drops) series the stack's steerable exporter serves live. */
export async function steer(body: unknown): Promise<void> {
  const r = await fetch(readLocalStack().exporter.controlUrl, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`exporter control answered ${r.status}`);
}
