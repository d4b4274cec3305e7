import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ECOSYSTEM_ANNOTATIONS,
  SHIPSHAPE_ANNOTATIONS,
  readAnnotation,
  SLO_BURN_WINDOWS,
  SloBurnWindow,
  SloDataState,
  SLO_WINDOWS,
  Slo,
  errorBudget,
  errorRatioExpr,
  increaseExprs,
  promString,
} from '@shipshape/plugin-shipshape-common';
import { PrometheusInstance, SloConfig, chooseInstance } from './config';
import { SloFileReader, loadEntitySlos } from './source';
import {
  CachedHttpClient,
  Fetched,
  PromAlert,
  PromSample,
  PromSeries,
  num,
} from './prometheus';
import {
  EntitySlos,
  SloAlert,
  SloBurnRow,
  SloBurning,
  SloCharts,
  SloStatus,
} from '../schema/openapi/generated/models';
import { DEFAULT_CHART_POINTS, sloChart } from './charts';

export const BURN_WINDOWS = SLO_BURN_WINDOWS;
type BurnWindow = SloBurnWindow;
type DataState = SloDataState;

/** Grafana Explore on the instance's data source, over the SLO window. */
export function grafanaLink(
  instance: PrometheusInstance,
  expr: string,
  range: string,
): string | undefined {
  if (!instance.grafana) return undefined;
  const uid = instance.grafana.datasourceUid;
  const panes = {
    a: {
      datasource: uid,
      queries: [{ refId: 'A', expr, datasource: { type: 'prometheus', uid } }],
      range: { from: `now-${range}`, to: 'now' },
    },
  };
  const q = new URLSearchParams({
    schemaVersion: '1',
    panes: JSON.stringify(panes),
  });
  return `${instance.grafana.url}/explore?${q.toString()}`;
}

function graphLink(instance: PrometheusInstance, expr: string, range: string) {
  const q = new URLSearchParams({
    'g0.expr': expr,
    'g0.tab': '0',
    'g0.range_input': range,
  });
  return `${instance.publicUrl}/graph?${q.toString()}`;
}

/** One instant query with every window of an SLO: each ratio tagged with a `window` label. */
export function multiWindowQuery(slo: Slo): string {
  const windows = [...BURN_WINDOWS, slo.window];
  return windows
    .map(
      w =>
        `label_replace(${errorRatioExpr(slo, w)}, "window", ${promString(
          w,
        )}, "", "")`,
    )
    .join(' or ');
}

/** One range query: daily errors and totals over the window, tagged with a `series` label. */
export function historyQuery(slo: Slo): string {
  const { errors, total } = increaseExprs(slo, '1d');
  return (
    `label_replace(${errors}, "series", "errors", "", "") or ` +
    `label_replace(${total}, "series", "total", "", "")`
  );
}

export class SloService {
  private constructor(
    readonly cfg: SloConfig,
    private readonly files: SloFileReader,
    private readonly http: CachedHttpClient,
  ) {}

  /**
   * From `shipshape.slo` config and the reader of the entities' slo-ref files; `http` for
   * tests and measurements (a prepared client).
   */
  static create(deps: {
    config: SloConfig;
    files: SloFileReader;
    http?: CachedHttpClient;
  }): SloService {
    const { config, files, http } = deps;
    return new SloService(
      config,
      files,
      http ??
        new CachedHttpClient({
          timeoutMs: config.timeoutMs,
          cacheTtlMs: config.cacheTtlMs,
          staleForMs: config.staleForMs,
        }),
    );
  }

  private async sloStatus(
    slo: Slo,
    instance: PrometheusInstance,
    now: number,
  ): Promise<Omit<SloStatus, 'alerts'>> {
    const windowSec = SLO_WINDOWS[slo.window];
    const budget = errorBudget(slo.objective);
    const base = {
      name: slo.name,
      displayName: slo.displayName,
      description: slo.description,
      source: slo.source,
      kind: slo.indicator.kind,
      latencyThresholdSeconds: slo.indicator.latencyThresholdSeconds,
      objective: slo.objective,
      window: slo.window,
      link: graphLink(instance, errorRatioExpr(slo, slo.window), slo.window),
      grafanaLink: grafanaLink(
        instance,
        errorRatioExpr(slo, slo.window),
        slo.window,
      ),
    };
    const empty = {
      sli: null,
      errorBudgetRemaining: null,
      burnRates: { '5m': null, '1h': null, '6h': null, '3d': null },
      history: [],
    };
    // history: `days` points, the last at the current time bucket (rounded for the cache);
    // the instant query is evaluated at the same time
    const step = 86400;
    const end = Math.floor(now / 1000 / 15) * 15;
    const days = windowSec / step;
    const start = end - (days - 1) * step;
    let instant: Fetched<{ result: PromSample[] }>;
    let range: Fetched<{ result: PromSeries[] }>;
    try {
      [instant, range] = await Promise.all([
        this.http.get<{ result: PromSample[] }>(
          instance,
          '/api/v1/query',
          { query: multiWindowQuery(slo), time: String(end) },
          'prometheus',
          ['time'],
        ),
        this.http.get<{ result: PromSeries[] }>(
          instance,
          '/api/v1/query_range',
          {
            query: historyQuery(slo),
            start: String(start),
            end: String(end),
            step: String(step),
          },
          'prometheus',
          ['start', 'end'],
        ),
      ]);
    } catch (e) {
      return { ...base, ...empty, state: 'error', error: (e as Error).message };
    }
    const ratios = new Map<string, number | null>();
    let asOf: number | undefined;
    for (const s of instant.value.result) {
      ratios.set(s.metric.window, num(s.value[1]));
      asOf = s.value[0];
    }
    const ratioW = ratios.get(slo.window) ?? null;
    const burnRates = Object.fromEntries(
      BURN_WINDOWS.map(w => {
        const r = ratios.get(w);
        return [w, r === undefined || r === null ? null : r / budget];
      }),
    ) as Record<BurnWindow, number | null>;

    const errors = range.value.result.find(s => s.metric.series === 'errors');
    const totals = range.value.result.find(s => s.metric.series === 'total');
    const byT = (s?: PromSeries) =>
      new Map((s?.values ?? []).map(([t, v]) => [t, num(v) ?? 0]));
    const errT = byT(errors);
    const totT = byT(totals);
    // The days of the answer's own request: a cached answer may be for an earlier bucket.
    const from = Number(range.params.start);
    const ts = Array.from({ length: days }, (_, i) => from + i * step);
    const errAll = ts.reduce((a, t) => a + (errT.get(t) ?? 0), 0);
    const totalAll = ts.reduce((a, t) => a + (totT.get(t) ?? 0), 0);
    // The budget spent over the window is the card's figure (the instant query, at the same
    // time); each day takes its share of it by its errors, so the last point is that figure.
    const spentW = ratioW === null ? null : ratioW / budget;
    let cumErr = 0;
    const history = ts.map(t => {
      cumErr += errT.get(t) ?? 0;
      let remaining: number | null = null;
      if (spentW !== null) {
        remaining = 1 - (errAll > 0 ? (spentW * cumErr) / errAll : spentW);
      } else if (totalAll > 0) {
        remaining = 1 - cumErr / (budget * totalAll);
      }
      return { t, remaining };
    });
    const stale = instant.stale ?? range.stale;
    return {
      ...base,
      state: stale ? 'stale' : 'ok',
      error: stale?.error,
      asOf: new Date(
        (asOf ?? Math.min(instant.fetchedAt, range.fetchedAt) / 1000) * 1000,
      ).toISOString(),
      sli: ratioW === null ? null : 1 - ratioW,
      errorBudgetRemaining: ratioW === null ? null : 1 - ratioW / budget,
      burnRates,
      history,
    };
  }

  /**
   * The Prometheus instance the entity names in its prometheus-instance annotation, else the
   * configured default; an invalid or unknown name is an InputError.
   */
  private instanceOf(entity: Entity): PrometheusInstance {
    const requested = readAnnotation(entity, 'prometheusInstance');
    if (requested && !requested.ok) throw new InputError(requested.error);
    return chooseInstance(this.cfg, requested?.value);
  }

  /**
   * `GET /slos/burning`: the SLOs of the entities the caller may read (the catalog filters
   * with their credentials), fastest 1h burn first. One instant query per SLO, cached like
   * the card's; at most `limit` entities, 4 at a time; an entity that fails is listed in
   * `errors` with its message.
   */
  async burning(req: {
    catalog: CatalogService;
    credentials: BackstageCredentials;
    limit: number;
  }): Promise<SloBurning> {
    const annotation = (name: string) => `metadata.annotations.${name}`;
    const { items, totalItems } = await req.catalog.queryEntities(
      {
        filter: [
          {
            [annotation(SHIPSHAPE_ANNOTATIONS.slo.name)]: CATALOG_FILTER_EXISTS,
          },
          {
            [annotation(SHIPSHAPE_ANNOTATIONS.sloRef.name)]:
              CATALOG_FILTER_EXISTS,
          },
        ],
        limit: req.limit,
      },
      { credentials: req.credentials },
    );
    const rows: SloBurnRow[] = [];
    const errors: SloBurning['errors'] = [];
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const entity = items[next++];
        const entityRef = stringifyEntityRef(entity);
        try {
          const instance = this.instanceOf(entity);
          const defs = await loadEntitySlos(entity, this.files);
          for (const e of defs.errors) errors.push({ entityRef, error: e });
          const burns = await Promise.all(
            defs.slos.map(s => this.sloBurn(s, instance)),
          );
          defs.slos.forEach((s, i) =>
            rows.push({
              entityRef,
              slo: s.name,
              displayName: s.displayName,
              objective: s.objective,
              window: s.window,
              ...burns[i],
            }),
          );
        } catch (e) {
          errors.push({ entityRef, error: (e as Error).message });
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    const key = (r: SloBurnRow) => r.burnRates['1h'] ?? -1;
    rows.sort(
      (a, b) => key(b) - key(a) || a.entityRef.localeCompare(b.entityRef),
    );
    return {
      rows,
      entities: items.length,
      truncated: totalItems > items.length,
      errors,
      evaluatedAt: new Date().toISOString(),
    };
  }

  /** Burn rates and budget of one SLO from its single instant query (for the burning list). */
  async sloBurn(
    slo: Slo,
    instance: PrometheusInstance,
  ): Promise<{
    state: DataState;
    error?: string;
    errorBudgetRemaining: number | null;
    burnRates: Record<BurnWindow, number | null>;
  }> {
    const budget = errorBudget(slo.objective);
    try {
      const instant = await this.http.get<{ result: PromSample[] }>(
        instance,
        '/api/v1/query',
        { query: multiWindowQuery(slo) },
      );
      const ratios = new Map<string, number | null>();
      for (const r of instant.value.result)
        ratios.set(r.metric.window, num(r.value[1]));
      const w = ratios.get(slo.window) ?? null;
      return {
        state: instant.stale ? 'stale' : 'ok',
        error: instant.stale?.error,
        errorBudgetRemaining: w === null ? null : 1 - w / budget,
        burnRates: Object.fromEntries(
          BURN_WINDOWS.map(bw => {
            const r = ratios.get(bw);
            return [bw, r === undefined || r === null ? null : r / budget];
          }),
        ) as Record<BurnWindow, number | null>,
      };
    } catch (e) {
      return {
        state: 'error',
        error: (e as Error).message,
        errorBudgetRemaining: null,
        burnRates: { '5m': null, '1h': null, '6h': null, '3d': null },
      };
    }
  }

  private async entityAlerts(
    entity: Entity,
    service: string,
    instance: PrometheusInstance,
  ): Promise<{ alerts: SloAlert[]; state: DataState; error?: string }> {
    const roadie =
      entity.metadata.annotations?.[ECOSYSTEM_ANNOTATIONS.prometheusAlert];
    const names = new Set(
      (roadie ?? '')
        .split(',')
        .map(s => s.trim())
        .filter(Boolean),
    );
    try {
      const r = await this.http.get<{ alerts: PromAlert[] }>(
        instance,
        '/api/v1/alerts',
        {},
      );
      const alerts = r.value.alerts
        .filter(a => a.state === 'firing' || a.state === 'pending')
        .filter(
          a =>
            a.labels.service === service ||
            names.has('all') ||
            names.has(a.labels.alertname),
        )
        .map(a => ({
          name: a.labels.alertname,
          state: a.state as 'firing' | 'pending',
          severity: a.labels.severity,
          activeAt: a.activeAt,
          summary: a.annotations?.summary,
          slo: a.labels.service === service ? a.labels.slo : undefined,
          labels: a.labels,
        }));
      return {
        alerts,
        state: r.stale ? 'stale' : 'ok',
        error: r.stale?.error,
      };
    } catch (e) {
      return { alerts: [], state: 'error', error: (e as Error).message };
    }
  }

  private async silences(service: string, alerts: SloAlert[]) {
    const am = this.cfg.alertmanager;
    if (!am) return undefined;
    try {
      const r = await this.http.get<any[]>(
        { name: 'alertmanager', url: am.url, headers: am.headers },
        '/api/v2/silences',
        {},
        'alertmanager',
      );
      const active = (r.value ?? []).filter(s => s?.status?.state === 'active');
      const matches = (
        m: { name: string; value: string; isRegex: boolean; isEqual?: boolean },
        labels: Record<string, string>,
      ) => {
        const v = labels[m.name] ?? '';
        let ok: boolean;
        if (m.isRegex) {
          try {
            ok = new RegExp(`^(?:${m.value})$`).test(v);
          } catch {
            ok = false;
          }
        } else ok = v === m.value;
        return m.isEqual === false ? !ok : ok;
      };
      const relevant = active.filter(
        s =>
          s.matchers?.some(
            (m: any) =>
              m.name === 'service' && !m.isRegex && m.value === service,
          ) ||
          alerts.some(a => s.matchers?.every((m: any) => matches(m, a.labels))),
      );
      for (const a of alerts) {
        const ids = relevant
          .filter(s => s.matchers?.every((m: any) => matches(m, a.labels)))
          .map(s => String(s.id));
        if (ids.length) a.silencedBy = ids;
      }
      return relevant.map(s => ({
        id: String(s.id),
        comment: String(s.comment ?? ''),
        createdBy: String(s.createdBy ?? ''),
        endsAt: String(s.endsAt ?? ''),
      }));
    } catch {
      return undefined;
    }
  }

  /**
   * The SLO tab's charts of one entity (slo/charts.ts): two range queries per SLO, at most
   * `points` points each; never throws for Prometheus failures (an invalid or unknown
   * prometheus-instance annotation is an InputError).
   */
  async entityCharts(
    entity: Entity,
    points = DEFAULT_CHART_POINTS,
  ): Promise<SloCharts> {
    const instance = this.instanceOf(entity);
    const defs = await loadEntitySlos(entity, this.files);
    const now = Date.now();
    return {
      entityRef: stringifyEntityRef(entity),
      declared: defs.declared,
      errors: defs.errors,
      slos: await Promise.all(
        defs.slos.map(s => sloChart(this.http, s, instance, now, points)),
      ),
      evaluatedAt: new Date(now).toISOString(),
    };
  }

  /**
   * Everything the SLO card shows for one entity, from its inline SLOs or slo-ref file; never
   * throws for Prometheus failures (an invalid or unknown prometheus-instance annotation is an
   * InputError).
   */
  async entityStatus(entity: Entity): Promise<EntitySlos> {
    const instance = this.instanceOf(entity);
    const defs = await loadEntitySlos(entity, this.files);
    const entityRef = stringifyEntityRef(entity);
    const now = Date.now();
    const [statuses, alerts] = await Promise.all([
      Promise.all(defs.slos.map(s => this.sloStatus(s, instance, now))),
      defs.slos.length ||
      defs.declared ||
      entity.metadata.annotations?.[ECOSYSTEM_ANNOTATIONS.prometheusAlert]
        ? this.entityAlerts(entity, defs.service, instance)
        : Promise.resolve({
            alerts: [] as SloAlert[],
            state: 'ok' as DataState,
            error: undefined as string | undefined,
          }),
    ]);
    const silences = alerts.alerts.length
      ? await this.silences(defs.service, alerts.alerts)
      : undefined;
    const slos: SloStatus[] = statuses.map(s => ({
      ...s,
      alerts: alerts.alerts.filter(a => a.slo === s.name),
    }));
    const states = [...slos.map(s => s.state), alerts.state];
    let state: DataState = 'ok';
    if (states.includes('error')) state = 'error';
    else if (states.includes('stale')) state = 'stale';
    return {
      entityRef,
      service: defs.service,
      declared: defs.declared,
      prometheus: { instance: instance.name, url: instance.publicUrl },
      alertmanager: this.cfg.alertmanager && {
        url: this.cfg.alertmanager.publicUrl,
      },
      state,
      errors: defs.errors,
      slos,
      alerts: alerts.alerts,
      alertsState: alerts.state,
      alertsError: alerts.error,
      silences,
      evaluatedAt: new Date(now).toISOString(),
    };
  }
}
