import { LineCounter, parseAllDocuments } from 'yaml';
import { parseCounterQuery, VectorSelector } from './promql';
import { Slo, SloError, SloIndicator, SLO_WINDOWS, SloWindow } from './types';

/**
 * The result of reading an SLO source: the valid SLOs and every error found.
 *
 * @public
 */
export interface SloParseResult {
  slos: Slo[];
  errors: SloError[];
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/**
 * Largest OpenSLO file Shipshape reads.
 *
 * @public
 */
export const MAX_SLO_FILE_BYTES = 256 * 1024;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

class Fail extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
  }
}

function obj(v: unknown, path: string): Obj {
  if (!isObj(v)) throw new Fail(path, 'must be a mapping');
  return v;
}
function str(v: unknown, path: string): string {
  if (typeof v !== 'string' || !v.trim()) {
    throw new Fail(path, 'must be a non-empty string');
  }
  return v.trim();
}

/**
 * Checks a name that becomes a Prometheus label value and a URL segment.
 *
 * @public
 */
export function checkSloName(name: string): string | undefined {
  return NAME.test(name) && name.length <= 63
    ? undefined
    : `"${name}" is not a valid SLO name; expected lower-case a-z, 0-9 and -, at most 63 characters`;
}

/**
 * Parses an objective given as a ratio (0.999) or a percent (99.9).
 *
 * @public
 */
export function checkObjective(
  value: unknown,
  asPercent: boolean,
): { ok: true; value: number } | { ok: false; error: string } {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return { ok: false, error: 'must be a number' };
  }
  const ratio = asPercent ? value / 100 : value;
  const shown = asPercent ? `${value}%` : `${value}`;
  if (ratio >= 1) {
    return {
      ok: false,
      error: `${shown} is 100% or above; an objective must leave an error budget (below 100%)`,
    };
  }
  if (ratio <= 0) {
    return { ok: false, error: `${shown} must be above 0` };
  }
  return { ok: true, value: Number(ratio.toPrecision(12)) };
}

interface Docs {
  slis: Map<string, { doc: Obj; index: number }>;
  sources: Map<string, Obj>;
}

function metricQuery(spec: Obj, path: string, docs: Docs): VectorSelector {
  const ms = obj(spec.metricSource, `${path}.metricSource`);
  let type = ms.type;
  if (ms.metricSourceRef !== undefined) {
    const ref = str(ms.metricSourceRef, `${path}.metricSource.metricSourceRef`);
    const ds = docs.sources.get(ref);
    if (!ds) {
      throw new Fail(
        `${path}.metricSource.metricSourceRef`,
        `no DataSource named "${ref}" in this file`,
      );
    }
    type = type ?? (isObj(ds.spec) ? ds.spec.type : undefined);
  }
  if (type !== undefined && type !== 'Prometheus') {
    throw new Fail(
      `${path}.metricSource.type`,
      `is "${String(type)}"; only Prometheus is supported`,
    );
  }
  const query = str(
    obj(ms.spec, `${path}.metricSource.spec`).query,
    `${path}.metricSource.spec.query`,
  );
  try {
    return parseCounterQuery(query);
  } catch (e) {
    throw new Fail(`${path}.metricSource.spec.query`, (e as Error).message);
  }
}

/** Builds an indicator from an OpenSLO SLI spec (`ratioMetric` over counters). */
function indicatorFromSpec(spec: Obj, path: string, docs: Docs): SloIndicator {
  if (spec.thresholdMetric !== undefined) {
    throw new Fail(
      `${path}.thresholdMetric`,
      'threshold SLIs on raw values are not supported; express a latency SLI as a ratioMetric of a histogram bucket (le) over the count',
    );
  }
  const ratio = obj(spec.ratioMetric, `${path}.ratioMetric`);
  if (ratio.counter !== undefined && ratio.counter !== true) {
    throw new Fail(
      `${path}.ratioMetric.counter`,
      'must be true: Shipshape computes rates of counters',
    );
  }
  if (ratio.raw !== undefined) {
    throw new Fail(`${path}.ratioMetric.raw`, 'raw ratios are not supported');
  }
  if ((ratio.good === undefined) === (ratio.bad === undefined)) {
    throw new Fail(
      `${path}.ratioMetric`,
      'needs exactly one of good and bad, and total',
    );
  }
  const total = metricQuery(
    obj(ratio.total, `${path}.ratioMetric.total`),
    `${path}.ratioMetric.total`,
    docs,
  );
  const good =
    ratio.good !== undefined
      ? metricQuery(
          obj(ratio.good, `${path}.ratioMetric.good`),
          `${path}.ratioMetric.good`,
          docs,
        )
      : undefined;
  const bad =
    ratio.bad !== undefined
      ? metricQuery(
          obj(ratio.bad, `${path}.ratioMetric.bad`),
          `${path}.ratioMetric.bad`,
          docs,
        )
      : undefined;
  const le = good?.metric.endsWith('_bucket')
    ? good.matchers.find(m => m.name === 'le' && m.op === '=')
    : undefined;
  if (le) {
    const seconds = Number(le.value);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      throw new Fail(
        `${path}.ratioMetric.good.metricSource.spec.query`,
        `le="${le.value}" is not a positive number of seconds`,
      );
    }
    return { kind: 'latency', good, total, latencyThresholdSeconds: seconds };
  }
  return { kind: 'availability', good, bad, total };
}

function sloFromDoc(doc: Obj, docs: Docs, source: string): Slo {
  const metadata = obj(doc.metadata, 'metadata');
  const name = str(metadata.name, 'metadata.name');
  const nameError = checkSloName(name);
  if (nameError) throw new Fail('metadata.name', nameError);
  const spec = obj(doc.spec, 'spec');

  let indicator: SloIndicator;
  if (spec.indicatorRef !== undefined) {
    const ref = str(spec.indicatorRef, 'spec.indicatorRef');
    const sli = docs.slis.get(ref);
    if (!sli) {
      throw new Fail('spec.indicatorRef', `no SLI named "${ref}" in this file`);
    }
    try {
      indicator = indicatorFromSpec(obj(sli.doc.spec, 'spec'), 'spec', docs);
    } catch (e) {
      if (e instanceof Fail) {
        throw new Fail(
          'spec.indicatorRef',
          `SLI "${ref}" (document ${sli.index}): ${e.path}: ${e.message}`,
        );
      }
      throw e;
    }
  } else {
    const ind = obj(spec.indicator, 'spec.indicator');
    indicator = indicatorFromSpec(
      obj(ind.spec, 'spec.indicator.spec'),
      'spec.indicator.spec',
      docs,
    );
  }

  const tw = spec.timeWindow;
  if (!Array.isArray(tw) || tw.length !== 1) {
    throw new Fail('spec.timeWindow', 'must be a list with exactly one window');
  }
  const w = obj(tw[0], 'spec.timeWindow[0]');
  if (w.isRolling !== true) {
    throw new Fail(
      'spec.timeWindow[0].isRolling',
      'must be true: only rolling windows (28d or 30d) are supported',
    );
  }
  const duration = str(w.duration, 'spec.timeWindow[0].duration');
  const window = (
    { '28d': '28d', '4w': '28d', '30d': '30d' } as Record<
      string,
      SloWindow | undefined
    >
  )[duration];
  if (!window) {
    throw new Fail(
      'spec.timeWindow[0].duration',
      `"${duration}" is not a supported window; expected ${Object.keys(
        SLO_WINDOWS,
      ).join(' or ')}`,
    );
  }
  if (
    spec.budgetingMethod !== undefined &&
    spec.budgetingMethod !== 'Occurrences'
  ) {
    throw new Fail(
      'spec.budgetingMethod',
      `is "${String(spec.budgetingMethod)}"; only Occurrences is supported`,
    );
  }

  const objectives = spec.objectives;
  if (!Array.isArray(objectives) || objectives.length !== 1) {
    throw new Fail(
      'spec.objectives',
      `must be a list with exactly one objective (found ${
        Array.isArray(objectives) ? objectives.length : 'none'
      })`,
    );
  }
  const o = obj(objectives[0], 'spec.objectives[0]');
  const hasTarget = o.target !== undefined;
  const hasPercent = o.targetPercent !== undefined;
  if (hasTarget === hasPercent) {
    throw new Fail(
      'spec.objectives[0]',
      'needs exactly one of target (0..1) and targetPercent (0..100)',
    );
  }
  const checked = checkObjective(
    hasTarget ? o.target : o.targetPercent,
    hasPercent,
  );
  if (!checked.ok) {
    throw new Fail(
      `spec.objectives[0].${hasTarget ? 'target' : 'targetPercent'}`,
      checked.error,
    );
  }
  return {
    name,
    displayName:
      typeof metadata.displayName === 'string'
        ? metadata.displayName
        : undefined,
    description:
      typeof spec.description === 'string' ? spec.description : undefined,
    objective: checked.value,
    window,
    indicator,
    source,
  };
}

/**
 * Reads an OpenSLO v1 file (one or more YAML documents). `SLO` documents become SLOs;
 * `SLI` and `DataSource` documents are looked up by name; other kinds (Service,
 * AlertPolicy, ...) are ignored. Every problem is reported with file, document and field.
 *
 * @public
 */
export function parseOpenSlo(text: string, file: string): SloParseResult {
  const errors: SloError[] = [];
  const slos: Slo[] = [];
  if (text.length > MAX_SLO_FILE_BYTES) {
    return {
      slos,
      errors: [
        {
          source: file,
          message: `is ${text.length} bytes; at most ${MAX_SLO_FILE_BYTES} are read`,
        },
      ],
    };
  }
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { prettyErrors: false, lineCounter });
  const documents = Array.isArray(parsed) ? parsed : [parsed];
  const docs: Docs = { slis: new Map(), sources: new Map() };
  const sloDocs: { doc: Obj; index: number }[] = [];
  documents.forEach((d, i) => {
    const index = i + 1;
    if (d.errors.length) {
      const e = d.errors[0];
      const pos = lineCounter.linePos(e.pos[0]);
      const at = ` at line ${pos.line}, column ${pos.col}`;
      errors.push({
        source: file,
        document: index,
        message: `is not valid YAML${at}: ${e.message.split('\n')[0]}`,
      });
      return;
    }
    const value = d.toJS({ maxAliasCount: 50 });
    if (value === null || value === undefined) return; // empty document
    if (!isObj(value)) {
      errors.push({
        source: file,
        document: index,
        message: 'must be a mapping',
      });
      return;
    }
    if (value.apiVersion !== 'openslo/v1') {
      errors.push({
        source: file,
        document: index,
        path: 'apiVersion',
        message: `is ${JSON.stringify(
          value.apiVersion,
        )}; expected "openslo/v1"`,
      });
      return;
    }
    const name = isObj(value.metadata) ? value.metadata.name : undefined;
    if (value.kind === 'SLO') sloDocs.push({ doc: value, index });
    else if (value.kind === 'SLI' && typeof name === 'string') {
      docs.slis.set(name, { doc: value, index });
    } else if (value.kind === 'DataSource' && typeof name === 'string') {
      docs.sources.set(name, value);
    }
  });
  const seen = new Set<string>();
  for (const { doc, index } of sloDocs) {
    try {
      const slo = sloFromDoc(doc, docs, `${file}, document ${index}`);
      if (seen.has(slo.name)) {
        throw new Fail('metadata.name', `SLO "${slo.name}" is declared twice`);
      }
      seen.add(slo.name);
      slos.push(slo);
    } catch (e) {
      if (!(e instanceof Fail)) throw e;
      errors.push({
        source: file,
        document: index,
        path: e.path,
        message: e.message,
      });
    }
  }
  if (!sloDocs.length && !errors.length) {
    errors.push({ source: file, message: 'contains no document of kind SLO' });
  }
  return { slos, errors };
}
