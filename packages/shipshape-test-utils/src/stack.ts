import { resolvePackagePath } from '@backstage/backend-plugin-api';
import fs from 'fs';
import path from 'path';

/** What `./run stack up` writes to .stack/stack.json (docs/stack.md lists the keys). */
export interface LocalStack {
  stateDir: string;
  toolsBin: string;
  kubernetes: {
    url: string;
    caFile: string;
    adminKubeconfig: string;
    readerTokenFile: string;
    operatorTokenFile: string;
    kubectl: string;
    namespaces: string[];
  };
  postgres: {
    host: string;
    port: number;
    user: string;
    password: string;
    database: string;
    databases: string[];
    superuser: string;
    superuserPassword: string;
    /** The restore-drill login: CREATEDB and nothing more. */
    drillUser: string;
    drillPassword: string;
    url: string;
    binDir: string;
  };
  s3: {
    endpoint: string;
    region: string;
    bucket: string;
    accessKeyId: string;
    secretAccessKey: string;
    forcePathStyle: boolean;
  };
  /** `rulesDir`: the directory Prometheus loads rule files from (`rule_files`), re-read on reload. */
  prometheus: { url: string; rulesDir: string };
  alertmanager: { url: string };
  exporter: { url: string; controlUrl: string };
}

/** Reads the local stack's description; throws (tests fail, never skip) when it is not up. */
export function readLocalStack(): LocalStack {
  const file = path.resolve(
    resolvePackagePath('@internal/shipshape-test-utils'),
    '../../.stack/stack.json',
  );
  if (!fs.existsSync(file)) {
    throw new Error(
      `${file} is missing: these tests need the local stack; run ./run stack up`,
    );
  }
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** The options of an S3 client (`new S3Client(...)`) for the stack's S3, as its admin. */
export function stackS3ClientConfig() {
  const { s3 } = readLocalStack();
  return {
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: {
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    },
  };
}

/**
 * A backup target's connection (`shipshape.backup.targets[].connection`) to the stack's example
 * `payments` database as its application user, the password read from `passwordEnv`.
 */
export function stackPaymentsConnection(passwordEnv: string) {
  const { postgres } = readLocalStack();
  return {
    host: postgres.host,
    port: postgres.port,
    user: postgres.user,
    database: 'payments',
    passwordEnv,
  };
}

/**
 * A backup drill connection (`shipshape.backup.drill.connection`) as the stack's drill role,
 * its password read from the environment variable `passwordEnv`.
 */
export function stackDrillConnection(passwordEnv: string) {
  const { postgres } = readLocalStack();
  return {
    host: postgres.host,
    port: postgres.port,
    user: postgres.drillUser,
    database: 'postgres',
    passwordEnv,
  };
}

/**
 * A backup target's `storage` (app-config shipshape.backup) in the stack's S3 bucket under
 * `prefix`, its keys read from the environment variables `accessKeyIdEnv` and `secretAccessKeyEnv`.
 */
export function stackS3Storage(
  prefix: string,
  accessKeyIdEnv: string,
  secretAccessKeyEnv: string,
) {
  const { s3 } = readLocalStack();
  return {
    type: 's3',
    bucket: s3.bucket,
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    prefix,
    accessKeyIdEnv,
    secretAccessKeyEnv,
  };
}
