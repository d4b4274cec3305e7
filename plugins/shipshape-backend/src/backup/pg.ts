import { ChildProcess, spawn } from 'child_process';
import knexFactory, { Knex } from 'knex';
import path from 'path';
import readline from 'readline';
import { Readable } from 'stream';
import { PgConnection } from './config';

/** A user table and its exact row count. */
export interface TableCount {
  schema: string;
  table: string;
  rows: number;
}

/** shipshape.backup.timeouts.statementSeconds when a caller has no config at hand. */
const DEFAULT_STATEMENT_TIMEOUT_MS = 1_800_000;

/** Removes a secret from a message, in case a tool ever echoes it. */
export function scrub(message: string, secret: string): string {
  return secret ? message.split(secret).join('***') : message;
}

export function pgBinary(binDir: string | undefined, name: string): string {
  return binDir ? path.join(binDir, name) : name;
}

/** Where a connection goes, for messages: never its password. */
export function describeConnection(conn: PgConnection): string {
  return `database ${conn.database} on ${conn.host}:${conn.port} as ${conn.user}`;
}

/**
 * A one-connection knex to a PostgreSQL database; destroy() it after use. Each statement may
 * run at most `statementTimeoutMs` (the server cancels it), so a hung count or DDL frees its run.
 */
export function pgClient(
  conn: PgConnection,
  password: string,
  database = conn.database,
  statementTimeoutMs = DEFAULT_STATEMENT_TIMEOUT_MS,
): Knex {
  return knexFactory({
    client: 'pg',
    connection: {
      host: conn.host,
      port: conn.port,
      user: conn.user,
      password,
      database,
      connectionTimeoutMillis: 10_000,
      statement_timeout: statementTimeoutMs,
    } as Knex.PgConnectionConfig,
    pool: { min: 0, max: 1 },
  });
}

/**
 * The only variables pg_dump/pg_restore get: where the binaries and their libraries are, the
 * locale and time zone, and the connection (the password only when there is one). Nothing
 * else of the backend's environment (cloud keys, tokens, other passwords) reaches a child.
 */
export function childEnv(
  conn?: PgConnection,
  password = '',
  database = conn?.database,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'LD_LIBRARY_PATH', 'LANG', 'LC_ALL', 'TZ']) {
    if (process.env[k] !== undefined) env[k] = process.env[k];
  }
  if (conn) {
    Object.assign(env, {
      PGHOST: conn.host,
      PGPORT: String(conn.port),
      PGUSER: conn.user,
      PGDATABASE: database,
      PGCONNECT_TIMEOUT: '10',
    });
  }
  if (password) env.PGPASSWORD = password;
  return env;
}

/**
 * Why a role may not run restore drills, or undefined when it may: it must have CREATEDB and
 * nothing more (no superuser, CREATEROLE, REPLICATION, BYPASSRLS, no role memberships),
 * because a restore runs the backup's functions (CHECK constraints, index expressions,
 * defaults) as this role.
 */
export async function drillRoleProblem(db: Knex): Promise<string | undefined> {
  const { rows } = await db.raw(
    `SELECT r.rolname, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication,
            r.rolbypassrls,
            array(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                   WHERE m.member = r.oid ORDER BY 1) AS memberof
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const r = rows[0];
  const extra = [
    r.rolsuper && 'is a superuser',
    r.rolcreaterole && 'has CREATEROLE',
    r.rolreplication && 'has REPLICATION',
    r.rolbypassrls && 'has BYPASSRLS',
    r.memberof.length && `is a member of ${r.memberof.join(', ')}`,
    !r.rolcreatedb && 'lacks CREATEDB',
  ].filter(Boolean);
  if (!extra.length) return undefined;
  return `role ${r.rolname} ${extra.join(
    ', ',
  )}; restore drills run a backup's functions (CHECK constraints, index expressions) as this role, so it must have CREATEDB and nothing more (CREATE ROLE shipshape_drill LOGIN CREATEDB PASSWORD '...')`;
}

/**
 * Exact row counts of every user table that holds rows (run inside the dump's snapshot): plain
 * tables and the partitions of a partitioned table, not the partitioned parent itself, which
 * holds no rows of its own and has no TABLE DATA entry in a dump.
 */
export async function countTables(
  db: Knex | Knex.Transaction,
): Promise<TableCount[]> {
  const { rows } = await db.raw(
    `SELECT n.nspname AS schema, c.relname AS "table"
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r'
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
      ORDER BY 1, 2`,
  );
  const out: TableCount[] = [];
  for (const r of rows as { schema: string; table: string }[]) {
    const res = await db.raw('SELECT count(*)::bigint AS n FROM ??.??', [
      r.schema,
      r.table,
    ]);
    out.push({ schema: r.schema, table: r.table, rows: Number(res.rows[0].n) });
  }
  return out;
}

/** A child process's exit, with the tail of its stderr. */
export function exitOf(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

/**
 * Starts `pg_dump -Fc` of the database at an exported snapshot; stdout is the dump. A table
 * lock it cannot get within `lockWaitMs` fails the dump instead of waiting behind a DDL.
 */
export function startDump(options: {
  binDir?: string;
  conn: PgConnection;
  password: string;
  snapshot?: string;
  lockWaitMs: number;
}) {
  const args = [
    '--format=custom',
    '--no-password',
    `--lock-wait-timeout=${options.lockWaitMs}`,
  ];
  if (options.snapshot) args.push(`--snapshot=${options.snapshot}`);
  const child = spawn(pgBinary(options.binDir, 'pg_dump'), args, {
    env: childEnv(options.conn, options.password, options.conn.database),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, exit: exitOf(child) };
}

/**
 * Feeds `input` to a child's stdin. The child may stop reading early (pg_restore --list
 * reads only the table of contents): the rest of the input is still drained so that the
 * caller's hash sees every byte.
 */
export async function feedChild(input: Readable, child: ChildProcess) {
  const stdin = child.stdin!;
  stdin.on('error', () => {
    // EPIPE when the child exits before reading everything; handled below.
  });
  child.on('close', () => {
    input.unpipe(stdin);
    input.resume();
  });
  input.pipe(stdin);
  await new Promise<void>((resolve, reject) => {
    input.on('end', resolve);
    input.on('error', reject);
  });
}

/** `pg_restore --list` of a dump read from stdin: the table-data entries it holds. */
export function startList(binDir?: string) {
  const child = spawn(pgBinary(binDir, 'pg_restore'), ['--list'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: childEnv(),
  });
  let stdout = '';
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  const exit = exitOf(child);
  return {
    child,
    result: exit.then(e => ({
      ...e,
      tables: tableDataOf(stdout),
      ...archiveHeaderOf(stdout),
    })),
  };
}

/** The database an archive was dumped from and its server version (pg_restore --list header). */
export function archiveHeaderOf(list: string): {
  database?: string;
  serverVersion?: string;
} {
  return {
    database: /^;\s+dbname: (.*)$/m.exec(list)?.[1],
    serverVersion: /^;\s+Dumped from database version: (.*)$/m.exec(list)?.[1],
  };
}

/**
 * The major.minor of a PostgreSQL server version as `server_version` and `pg_restore --list`
 * ("Dumped from database version") write it: `15.8 (Debian 15.8-1.pgdg120+1)` is `15.8`,
 * `9.6.24` is `9.6`, `17beta1` is `17`; undefined when it does not start with a version.
 */
export function serverMajorMinor(version: string | undefined) {
  const m = /^\s*(\d+)(?:\.(\d+))?/.exec(version ?? '');
  if (!m) return undefined;
  return m[2] === undefined ? m[1] : `${m[1]}.${m[2]}`;
}

/** `schema.table` of a COPY line's (possibly quoted) name, unquoted. */
function copyTableOf(line: string): string | undefined {
  const ident = '("(?:[^"]|"")+"|[^." ]+)';
  const m = new RegExp(`^COPY ${ident}\\.${ident}[ (]`).exec(line);
  const unquote = (x: string) =>
    x.startsWith('"') ? x.slice(1, -1).replace(/""/g, '"') : x;
  return m ? `${unquote(m[1])}.${unquote(m[2])}` : undefined;
}

/**
 * `pg_restore --data-only --file=-` of a dump read from stdin, its output counted as it
 * streams: the rows of each table's COPY block (one line per row; newlines in values are
 * escaped), so a dump's row counts are read without restoring it.
 */
export function startRowCount(binDir?: string) {
  const child = spawn(
    pgBinary(binDir, 'pg_restore'),
    ['--data-only', '--file=-'],
    { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv() },
  );
  const rows = new Map<string, number>();
  let table: string | undefined;
  const lines = readline.createInterface({ input: child.stdout! });
  lines.on('line', line => {
    if (table === undefined) {
      table = copyTableOf(line);
      if (table !== undefined) rows.set(table, 0);
    } else if (line === '\\.') {
      table = undefined;
    } else {
      rows.set(table, rows.get(table)! + 1);
    }
  });
  const closed = new Promise(resolve => lines.on('close', resolve));
  const exit = exitOf(child);
  return {
    child,
    result: Promise.all([exit, closed]).then(([e]) => ({ ...e, rows })),
  };
}

/** `schema.table` of each TABLE DATA entry in a pg_restore --list. */
export function tableDataOf(list: string): string[] {
  const out: string[] = [];
  for (const line of list.split('\n')) {
    const m = /^\d+; \d+ \d+ TABLE DATA (\S+) (\S+) /.exec(line);
    if (m) out.push(`${m[1]}.${m[2]}`);
  }
  return out.sort();
}

/** `pg_restore` from stdin into an existing database. */
export function startRestore(options: {
  binDir?: string;
  conn: PgConnection;
  password: string;
  database: string;
}) {
  const child = spawn(
    pgBinary(options.binDir, 'pg_restore'),
    [
      '--no-owner',
      '--no-acl',
      '--exit-on-error',
      '--no-password',
      `--dbname=${options.database}`,
    ],
    {
      env: childEnv(options.conn, options.password, options.database),
      stdio: ['pipe', 'ignore', 'pipe'],
    },
  );
  return { child, exit: exitOf(child) };
}
