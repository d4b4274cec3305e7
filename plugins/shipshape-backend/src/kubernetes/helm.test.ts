import * as k8s from '@kubernetes/client-node';
import fs from 'fs';
import os from 'os';
import path from 'path';
import zlib from 'zlib';
import {
  HelmCli,
  HelmRelease,
  assertDeployableRelease,
  decodeRelease,
  imageValues,
  manifestImages,
  rollbackTarget,
  writeChart,
} from './helm';
import { ClusterClient } from './types';

const place = { name: 'staging', namespace: 'pay', release: 'pay' };

function release(
  version: number,
  over: Partial<HelmRelease> = {},
): HelmRelease {
  return {
    name: 'pay',
    namespace: 'pay',
    version,
    info: { status: 'superseded', description: `Upgrade complete` },
    chart: {
      metadata: { name: 'pay', version: '0.1.0' },
      values: { image: { repository: 'ghcr.io/acme/pay', tag: '' } },
      templates: [],
    },
    manifest: '',
    ...over,
  };
}

describe('Helm release records', () => {
  it('decodes a record as the API serves it (base64 of Helm base64 of gzipped JSON, or plain JSON)', () => {
    const r = release(3);
    const helmEncoded = zlib.gzipSync(JSON.stringify(r)).toString('base64');
    expect(decodeRelease(Buffer.from(helmEncoded).toString('base64'))).toEqual(
      r,
    );
    const plain = Buffer.from(JSON.stringify(r)).toString('base64');
    expect(decodeRelease(Buffer.from(plain).toString('base64'))).toEqual(r);
  });

  it('reads the images of the workloads in a manifest, nothing else', () => {
    const manifest = [
      'apiVersion: v1\nkind: Secret\nmetadata: { name: s }\nstringData: { password: hunter2 }',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: pay }\nspec: { template: { spec: { containers: [{ name: app, image: "ghcr.io/acme/pay:1" }, { name: side, image: "envoy:1.30" }] } } }',
      'apiVersion: batch/v1\nkind: CronJob\nmetadata: { name: backup }\nspec: {}',
    ].join('\n---\n');
    expect(manifestImages(manifest)).toEqual([
      { workload: 'pay', image: 'ghcr.io/acme/pay:1' },
      { workload: 'pay', image: 'envoy:1.30' },
    ]);
    expect(manifestImages(undefined)).toEqual([]);
  });

  it('refuses a release of another chart, one with subcharts and one with a Helm operation pending, naming what to do', () => {
    const other = release(1, {
      chart: { metadata: { name: 'nginx', version: '15.0.0' }, values: {} },
    });
    expect(() => assertDeployableRelease(place, [other])).toThrow(
      "Helm release pay/pay (environment staging) revision 1 was installed from chart nginx-15.0.0; its chart is 'nginx', not the service's chart 'pay'; its chart has no image.repository/image.tag values. The portal deploys only releases of the golden-path chart: release it with the workflow that installed it, or reinstall it from the service's chart; nothing was changed",
    );
    const sub = release(1);
    sub.chart.metadata.dependencies = [{ name: 'redis' }];
    expect(() => assertDeployableRelease(place, [sub])).toThrow(
      /subcharts, which a Helm release record does not keep/,
    );
    const pending = release(2, {
      info: { status: 'pending-upgrade' },
    });
    expect(() => assertDeployableRelease(place, [release(1), pending])).toThrow(
      'Helm release pay/pay is pending-upgrade at revision 2: another Helm operation is under way or was interrupted; wait for it, or finish it with `helm rollback pay -n pay`; nothing was changed',
    );
    expect(
      assertDeployableRelease(place, [release(1), release(2)]).version,
    ).toBe(2);
  });

  it('rolls back to a named revision that exists, or the one before the newest', () => {
    const records = [release(2), release(4), release(5)];
    expect(rollbackTarget(place, records, 2).version).toBe(2);
    expect(rollbackTarget(place, records).version).toBe(4);
    expect(() => rollbackTarget(place, records, 3)).toThrow(
      'revision: Helm release pay/pay (environment staging) has no revision 3 (available: 2, 4, 5; see its deploy history); nothing was changed',
    );
    expect(() => rollbackTarget(place, [release(1)])).toThrow(
      'Helm release pay/pay has no revision before 1 to roll back to (available: 1); nothing was changed',
    );
  });

  it("sets the golden-path chart's image values from an image reference", () => {
    expect(imageValues('ghcr.io/acme/pay:1.2')).toEqual([
      '--set-string=image.repository=ghcr.io/acme/pay',
      '--set-string=image.tag=1.2',
      '--set-string=image.digest=',
    ]);
    expect(
      imageValues(`localhost:5000/pay:abc@sha256:${'a'.repeat(64)}`),
    ).toEqual([
      '--set-string=image.repository=localhost:5000/pay',
      '--set-string=image.tag=abc',
      `--set-string=image.digest=sha256:${'a'.repeat(64)}`,
    ]);
    expect(() => imageValues(`pay@sha256:${'a'.repeat(64)}`)).toThrow(
      /has no tag; the service's chart needs one/,
    );
  });

  it('writes the chart back from the record, and never outside its directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-chart-'));
    try {
      const r = release(1);
      r.chart.templates = [
        {
          name: 'templates/deployment.yaml',
          data: Buffer.from('kind: Deployment').toString('base64'),
        },
      ];
      await writeChart(r, path.join(dir, 'chart'));
      expect(
        fs.readFileSync(
          path.join(dir, 'chart/templates/deployment.yaml'),
          'utf8',
        ),
      ).toBe('kind: Deployment');
      expect(
        fs.readFileSync(path.join(dir, 'chart/Chart.yaml'), 'utf8'),
      ).toContain('name: pay');
      r.chart.files = [{ name: '../escape', data: '' }];
      await expect(writeChart(r, path.join(dir, 'chart2'))).rejects.toThrow(
        'Helm release record names a file outside its chart: ../escape',
      );
      expect(fs.existsSync(path.join(dir, 'escape'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('HelmCli', () => {
  it('runs helm with a kubeconfig of the configured cluster and token only (mode 600, deleted after), and never repeats the token', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-cli-'));
    try {
      // A stand-in binary: records its arguments, environment and kubeconfig, then fails
      // printing the kubeconfig (as a careless tool might).
      const fake = path.join(dir, 'helm');
      const seen = path.join(dir, 'seen');
      fs.writeFileSync(
        fake,
        `#!/bin/sh\nfor a in "$@"; do case "$a" in --kubeconfig=*) k="\${a#--kubeconfig=}";; esac; done\n{ echo "$@"; env; stat -c %a "$k"; cat "$k"; } > ${seen}\ncat "$k" >&2\nexit 1\n`,
        { mode: 0o755 },
      );
      const kubeConfig = new k8s.KubeConfig();
      kubeConfig.loadFromOptions({
        clusters: [
          { name: 'c', server: 'https://127.0.0.1:6443', caData: 'Q0E=' },
        ],
        users: [{ name: 'shipshape', token: 'sekret-operator-token' }],
        contexts: [{ name: 'c', cluster: 'c', user: 'shipshape' }],
        currentContext: 'c',
      });
      process.env.KUBECONFIG = '/somewhere/else';
      const error = await new HelmCli(fake, 10_000)
        .run({ cluster: 'c', kubeConfig } as ClusterClient, ['history', 'pay'])
        .catch(e => e);
      delete process.env.KUBECONFIG;
      expect(error.message).toMatch(/^helm history failed: /);
      expect(error.message).not.toContain('sekret-operator-token');
      expect(error.message).toContain('<token>');
      const record = fs.readFileSync(seen, 'utf8');
      expect(record).toMatch(/^history pay --kubeconfig=\S+\/kubeconfig\n/);
      expect(record).not.toContain('KUBECONFIG=');
      expect(record).toContain('HELM_DRIVER=secret');
      expect(record).toMatch(/\n600\n/);
      expect(record).toContain('"server":"https://127.0.0.1:6443"');
      expect(record).toContain('"token":"sekret-operator-token"');
      const kubeconfig = /--kubeconfig=(\S+)/.exec(record)![1];
      expect(fs.existsSync(path.dirname(kubeconfig))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
