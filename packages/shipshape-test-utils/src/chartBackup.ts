import { execFile, execFileSync, spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import { REPO } from './helm';

const run = promisify(execFile);

/** The golden-path chart's backup CronJob (one copy for every service template). */
export const CHART_BACKUP_CRONJOB = path.join(
  REPO,
  'templates/_shared/skeleton/chart/templates/backup-cronjob.yaml',
);

/**
 * The two container scripts of the chart's backup CronJob, exactly as the chart has them (the
 * `args: - |` block of `dump-and-verify` and of `upload-and-retain`; Helm renders nothing in
 * them).
 */
export function chartBackupScripts(file = CHART_BACKUP_CRONJOB) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const scriptOf = (container: string) => {
    const at = lines.findIndex(l => l.trim() === `- name: ${container}`);
    const start = lines.findIndex((l, i) => i > at && l.trim() === '- |');
    if (at < 0 || start < 0) {
      throw new Error(`${file}: no args block of container ${container}`);
    }
    const indent = lines[start + 1].search(/\S/);
    const out: string[] = [];
    for (const l of lines.slice(start + 1)) {
      if (l.trim() && l.search(/\S/) < indent) break;
      out.push(l.slice(indent));
    }
    return out.join('\n');
  };
  return {
    dump: scriptOf('dump-and-verify'),
    upload: scriptOf('upload-and-retain'),
  };
}

/**
 * The folder of the aws CLI the chart's upload container runs: the templates' check venv
 * (templates/scripts/test-backup.sh), else the one on PATH, else a venv made here with the
 * same awscli (a fresh machine runs the backend tests before the templates' checks).
 */
function awsPath(): string {
  const cache = path.join(REPO, '.tools/check-cache');
  for (const venv of ['backup-venv', 'awscli-venv']) {
    const bin = path.join(cache, venv, 'bin');
    if (fs.existsSync(path.join(bin, 'aws'))) return bin;
  }
  if (spawnSync('sh', ['-c', 'command -v aws']).status === 0) return '';
  const venv = path.join(cache, 'awscli-venv');
  fs.rmSync(venv, { recursive: true, force: true });
  execFileSync('python3', ['-m', 'venv', venv]);
  execFileSync(path.join(venv, 'bin/pip'), ['install', '-q', 'awscli==1.46.3']);
  return path.join(venv, 'bin');
}

export interface ChartBackupRun {
  databaseUrl: string;
  pgBinDir: string;
  target: string;
  environment: string;
  service: string;
  s3: {
    endpoint: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
    bucket: string;
    prefix: string;
    copyBucket?: string;
  };
  retentionDays?: number;
}

/**
 * Runs the CronJob's two containers in order on this machine (what kwok cannot: it runs no
 * containers), with the chart's environment, `/backup` a fresh folder: pg_dump and manifest,
 * then upload (and retention). Returns the dump's name and when the "Job" completed.
 */
export async function runChartBackup(
  opts: ChartBackupRun,
): Promise<{ name: string; completedAt: number; log: string }> {
  const scripts = chartBackupScripts();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-chart-backup-'));
  const withDir = (s: string) => s.split('/backup').join(dir);
  const aws = awsPath();
  const env = {
    PATH: [opts.pgBinDir, aws, process.env.PATH].filter(Boolean).join(':'),
    HOME: dir,
    SERVICE_NAME: opts.service,
    APP_ENV: opts.environment,
    BACKUP_TARGET: opts.target,
    DATABASE_URL: opts.databaseUrl,
    S3_BUCKET: opts.s3.bucket,
    S3_PREFIX: opts.s3.prefix,
    S3_ENDPOINT: opts.s3.endpoint,
    S3_SSE: 'AES256',
    AWS_DEFAULT_REGION: opts.s3.region,
    AWS_ACCESS_KEY_ID: opts.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: opts.s3.secretAccessKey,
    COPY_BUCKET: opts.s3.copyBucket ?? '',
    COPY_ENDPOINT: opts.s3.copyBucket ? opts.s3.endpoint : '',
    COPY_REGION: opts.s3.region,
    RETENTION_DAYS: String(opts.retentionDays ?? 30),
    MIN_KEEP: '3',
  };
  let log = '';
  try {
    for (const [shell, args, script] of [
      ['/bin/sh', ['-ec'], scripts.dump],
      ['/bin/bash', ['-euo', 'pipefail', '-c'], scripts.upload],
    ] as const) {
      const r = await run(shell, [...args, withDir(script)], {
        env,
        cwd: dir,
      }).catch(e => {
        throw new Error(
          `the chart's backup script (${shell}) failed: ${e.message}\n${e.stdout}`,
        );
      });
      log += r.stdout + r.stderr;
    }
    const name = fs.readFileSync(path.join(dir, 'CURRENT'), 'utf8').trim();
    return { name, completedAt: Date.now(), log };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
