import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';

/** A Prometheus server from app-config; headers (auth) never leave the backend. */
export interface PrometheusInstance {
  name: string;
  url: string;
  /** Base URL for links shown to users (defaults to url). */
  publicUrl: string;
  headers: Record<string, string>;
  /** Grafana with this instance as a data source, for Explore links. */
  grafana?: { url: string; datasourceUid: string };
}

export interface SloConfig {
  instances: PrometheusInstance[];
  defaultInstance?: string;
  timeoutMs: number;
  cacheTtlMs: number;
  /** How long an slo-ref file fetched from a URL is kept before it is revalidated. */
  fileCacheTtlMs: number;
  /** Deadline of one slo-ref fetch through the UrlReader (`shipshape.slo.fileTimeoutSeconds`). */
  fileTimeoutMs: number;
  /** How long a last good answer may be served as stale when Prometheus fails. */
  staleForMs: number;
  alertmanager?: {
    url: string;
    publicUrl: string;
    headers: Record<string, string>;
  };
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function httpUrl(value: string, where: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`${where} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`${where} must be an http(s) URL`);
  }
  return value.replace(/\/+$/, '');
}

function headersOf(c: Config | undefined): Record<string, string> {
  const h: Record<string, string> = {};
  if (!c) return h;
  for (const key of c.keys()) h[key] = c.getString(key);
  return h;
}

/** Reads `shipshape.prometheus` and `shipshape.alertmanager`. */
export function readSloConfig(config: Config): SloConfig {
  const p = config.getOptionalConfig('shipshape.prometheus');
  const instances = (p?.getOptionalConfigArray('instances') ?? []).map(
    (c, i) => {
      const name = c.getString('name');
      if (!NAME.test(name)) {
        throw new InputError(
          `shipshape.prometheus.instances[${i}].name "${name}" must be a lower-case name (a-z, 0-9, -)`,
        );
      }
      const url = httpUrl(
        c.getString('url'),
        `shipshape.prometheus.instances[${i}].url`,
      );
      return {
        name,
        url,
        publicUrl: httpUrl(
          c.getOptionalString('publicUrl') ?? url,
          `shipshape.prometheus.instances[${i}].publicUrl`,
        ),
        headers: headersOf(c.getOptionalConfig('headers')),
        grafana: c.has('grafana')
          ? {
              url: httpUrl(
                c.getString('grafana.url'),
                `shipshape.prometheus.instances[${i}].grafana.url`,
              ),
              datasourceUid: c.getString('grafana.datasourceUid'),
            }
          : undefined,
      };
    },
  );
  const names = new Set<string>();
  for (const i of instances) {
    if (names.has(i.name)) {
      throw new InputError(
        `shipshape.prometheus.instances: "${i.name}" is configured twice`,
      );
    }
    names.add(i.name);
  }
  const defaultInstance = p?.getOptionalString('defaultInstance');
  if (defaultInstance && !names.has(defaultInstance)) {
    throw new InputError(
      `shipshape.prometheus.defaultInstance "${defaultInstance}" is not one of the configured instances`,
    );
  }
  const am = config.getOptionalConfig('shipshape.alertmanager');
  const amUrl = am?.getOptionalString('url');
  return {
    instances,
    defaultInstance,
    timeoutMs: (p?.getOptionalNumber('timeoutSeconds') ?? 5) * 1000,
    cacheTtlMs: (p?.getOptionalNumber('cacheSeconds') ?? 15) * 1000,
    fileCacheTtlMs:
      (config.getOptionalNumber('shipshape.slo.fileCacheSeconds') ?? 300) *
      1000,
    fileTimeoutMs:
      (config.getOptionalNumber('shipshape.slo.fileTimeoutSeconds') ?? 10) *
      1000,
    staleForMs: (p?.getOptionalNumber('staleForSeconds') ?? 600) * 1000,
    alertmanager: amUrl
      ? {
          url: httpUrl(amUrl, 'shipshape.alertmanager.url'),
          publicUrl: httpUrl(
            am!.getOptionalString('publicUrl') ?? amUrl,
            'shipshape.alertmanager.publicUrl',
          ),
          headers: headersOf(am!.getOptionalConfig('headers')),
        }
      : undefined,
  };
}

/** Picks the instance an entity asks for, or the default; never a URL from the entity. */
export function chooseInstance(
  cfg: SloConfig,
  requested?: string,
): PrometheusInstance {
  if (!cfg.instances.length) {
    throw new InputError(
      'No Prometheus instance is configured (shipshape.prometheus.instances in app-config)',
    );
  }
  const name = requested ?? cfg.defaultInstance;
  if (!name) return cfg.instances[0];
  const found = cfg.instances.find(i => i.name === name);
  if (!found) {
    throw new InputError(
      `Unknown Prometheus instance "${name}"; configured: ${cfg.instances
        .map(i => i.name)
        .join(', ')}`,
    );
  }
  return found;
}
