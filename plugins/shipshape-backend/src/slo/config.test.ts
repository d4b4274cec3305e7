import { ConfigReader } from '@backstage/config';
import { slosFromInline } from '@shipshape/plugin-shipshape-common';
import { chooseInstance, readSloConfig } from './config';
import { grafanaLink, multiWindowQuery } from './service';

describe('SLO config', () => {
  const cfg = readSloConfig(
    new ConfigReader({
      shipshape: {
        prometheus: {
          instances: [
            {
              name: 'eu',
              url: 'http://prom.eu:9090/',
              headers: { Authorization: 'Bearer x' },
              grafana: {
                url: 'https://grafana.example.com',
                datasourceUid: 'prom-eu',
              },
            },
            {
              name: 'us',
              url: 'http://prom.us:9090',
              publicUrl: 'https://prom.example.com',
            },
          ],
          defaultInstance: 'us',
          timeoutSeconds: 2,
        },
      },
    }),
  );

  it('reads instances, the default, timeouts and Grafana', () => {
    expect(cfg.timeoutMs).toBe(2000);
    expect(cfg.cacheTtlMs).toBe(15000);
    expect(chooseInstance(cfg).name).toBe('us');
    expect(chooseInstance(cfg, 'eu')).toMatchObject({
      url: 'http://prom.eu:9090',
      publicUrl: 'http://prom.eu:9090',
      headers: { Authorization: 'Bearer x' },
    });
    expect(() => chooseInstance(cfg, 'asia')).toThrow(
      'Unknown Prometheus instance "asia"; configured: eu, us',
    );
  });

  it('refuses bad instance config precisely', () => {
    const read = (instances: any[]) =>
      readSloConfig(
        new ConfigReader({ shipshape: { prometheus: { instances } } }),
      );
    expect(() => read([{ name: 'Bad Name', url: 'http://x' }])).toThrow(
      'shipshape.prometheus.instances[0].name "Bad Name" must be a lower-case name (a-z, 0-9, -)',
    );
    expect(() => read([{ name: 'a', url: 'ftp://x' }])).toThrow(
      'shipshape.prometheus.instances[0].url must be an http(s) URL',
    );
    expect(() =>
      read([
        { name: 'a', url: 'http://x' },
        { name: 'a', url: 'http://y' },
      ]),
    ).toThrow('shipshape.prometheus.instances: "a" is configured twice');
    expect(() => chooseInstance(read([]))).toThrow(
      /No Prometheus instance is configured/,
    );
  });

  it('links to Grafana Explore when configured, and batches every window in one query', () => {
    const [slo] = slosFromInline(
      { availability: 0.999, window: '28d' },
      'payments-api',
      'a',
    );
    const link = new URL(grafanaLink(chooseInstance(cfg, 'eu'), 'up', '28d')!);
    expect(link.origin + link.pathname).toBe(
      'https://grafana.example.com/explore',
    );
    expect(JSON.parse(link.searchParams.get('panes')!)).toEqual({
      a: {
        datasource: 'prom-eu',
        queries: [
          {
            refId: 'A',
            expr: 'up',
            datasource: { type: 'prometheus', uid: 'prom-eu' },
          },
        ],
        range: { from: 'now-28d', to: 'now' },
      },
    });
    expect(grafanaLink(chooseInstance(cfg, 'us'), 'up', '28d')).toBeUndefined();
    const q = multiWindowQuery(slo);
    expect(q.match(/label_replace\(/g)).toHaveLength(5);
    for (const w of ['5m', '1h', '6h', '3d', '28d']) {
      expect(q).toContain(`"window", "${w}", "", "")`);
    }
  });
});
