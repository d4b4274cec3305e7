/**
 * PostgreSQL access. DATABASE_URL is a libpq URL (postgresql://user:pass@host:5432/db),
 * the same value pg_dump uses in the backup job.
 */
import pg from 'pg';

export class Database {
  private pool: pg.Pool | undefined;

  constructor(
    private readonly url: string | undefined,
    private readonly connectTimeoutMs = 3000,
  ) {}

  private getPool(url: string): pg.Pool {
    this.pool ??= new pg.Pool({
      connectionString: url,
      max: 5,
      connectionTimeoutMillis: this.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
    });
    return this.pool;
  }

  /** undefined when the database answers, otherwise a short reason (never credentials). */
  async check(): Promise<string | undefined> {
    if (!this.url) return 'DATABASE_URL is not set';
    try {
      await this.getPool(this.url).query('SELECT 1');
      return undefined;
    } catch (error) {
      const code = (error as { code?: string }).code;
      return code ? `connection failed (${code})` : 'connection failed';
    }
  }

  async close(): Promise<void> {
    await this.pool?.end();
    this.pool = undefined;
  }
}
